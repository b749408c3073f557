from __future__ import annotations

import pytest

from acuback.accounts import policy
from acuback.accounts.models import Membership, Role
from acuback.patients.models import Patient


def test_every_permission_names_only_known_roles():
    known = {r.value for r in Role}
    for permission, roles in policy.RULES.items():
        assert roles <= known, permission


def test_front_desk_may_see_demographics_but_not_the_clinical_record(world):
    assert policy.can(world.front_desk, "patient.view", world.clinic)
    assert not policy.can(world.front_desk, "patient.view_clinical", world.clinic)


def test_roles_in_one_clinic_give_nothing_in_another(world):
    assert not policy.can(world.outsider, "patient.view", world.clinic)
    assert policy.clinic_ids_with(world.outsider, "patient.view") == [world.outsider_patient.clinic_id]


def test_a_user_with_two_roles_gets_both(world):
    Membership.objects.create(user=world.front_desk, clinic=world.clinic, role=Role.PRACTITIONER)
    world.front_desk.refresh_from_db()  # drop the cached memberships
    assert policy.can(world.front_desk, "patient.view_clinical", world.clinic)


def test_an_inactive_user_can_do_nothing(world):
    world.practitioner.is_active = False
    assert not policy.can(world.practitioner, "patient.view", world.clinic)


def test_a_misspelt_permission_is_an_error_not_a_silent_no(world):
    with pytest.raises(KeyError):
        policy.can(world.admin, "patient.veiw", world.clinic)


def test_memberships_are_read_once_per_user_object(world, django_assert_num_queries):
    user = world.practitioner
    with django_assert_num_queries(1):
        for _ in range(5):
            policy.can(user, "patient.view", world.clinic)
            policy.clinic_ids_with(user, "registry.view")


@pytest.mark.parametrize(
    "role, sees",
    [("practitioner", {"Alice", "Bruno"}), ("front_desk", {"Alice", "Bruno"}),
     ("clinic_admin", {"Alice", "Bruno"}), ("patient", {"Alice"}), ("other_patient", {"Bruno"}),
     ("other_clinic", {"Zed"})],
)
def test_patient_scoping_by_role(world, role, sees):
    visible = Patient.objects.visible_to(world.user_for(role))
    assert {p.given_name for p in visible} == sees


def test_anonymous_sees_no_patient(world):
    from django.contrib.auth.models import AnonymousUser

    assert not Patient.objects.visible_to(AnonymousUser()).exists()


def test_a_user_on_several_staffs_works_in_the_clinic_they_joined_first(db):
    from tests.factories import make_clinic, make_user

    older, newer = make_clinic("Older"), make_clinic("Newer")
    user = make_user(newer, Role.PRACTITIONER)  # joins the newer clinic (higher id) first
    Membership.objects.create(user=user, clinic=older, role=Role.CLINIC_ADMIN)
    assert older.pk < newer.pk
    assert policy.home_clinic(user) == newer
    patient_only = make_user(older, Role.PATIENT)
    assert policy.home_clinic(patient_only) is None  # a patient works in no clinic
