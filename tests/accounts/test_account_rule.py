"""policy.account_change_refusal, the one rule every clinic-admin action on an account
asks, over every combination of who the actor is and where the account belongs."""

from __future__ import annotations

import itertools

import pytest

from acuback.accounts import policy
from acuback.accounts.models import Membership, Role, User
from tests.factories import make_clinic

ROLES = [Role.CLINIC_ADMIN, Role.PRACTITIONER, Role.FRONT_DESK, Role.PATIENT]


@pytest.mark.django_db
def test_the_rule_over_every_combination():
    home, other = make_clinic("Home"), make_clinic("Other")
    n = itertools.count()
    # the actor's role here, whether they are a platform operator; the account's roles
    # here and in the other clinic; whether the account is a platform operator's
    for actor_role, actor_super, here, elsewhere, account_super in itertools.product(
            [None, *ROLES], [False, True], [(), (Role.FRONT_DESK,), (Role.PATIENT,)],
            [(), (Role.PRACTITIONER,), (Role.PATIENT,)], [False, True]):
        actor = User.objects.create(username=f"actor{next(n)}", is_superuser=actor_super)
        if actor_role:
            Membership.objects.create(user=actor, clinic=home, role=actor_role)
        account = User.objects.create(username=f"account{next(n)}",
                                      is_superuser=account_super)
        for clinic, roles in ((home, here), (other, elsewhere)):
            for role in roles:
                Membership.objects.create(user=account, clinic=clinic, role=role)
        allowed = policy.account_change_refusal(actor, account, home) is None
        expected = actor_super or (actor_role == Role.CLINIC_ADMIN and bool(here)
                                   and not elsewhere and not account_super)
        assert allowed == expected, (actor_role, actor_super, here, elsewhere, account_super)


@pytest.mark.django_db
def test_the_owner_may_change_their_own_account_wherever_else_they_work():
    home, other = make_clinic("Home"), make_clinic("Other")
    admin = User.objects.create(username="owner")
    Membership.objects.create(user=admin, clinic=home, role=Role.CLINIC_ADMIN)
    Membership.objects.create(user=admin, clinic=other, role=Role.PRACTITIONER)
    assert policy.account_change_refusal(admin, admin, home) is None
