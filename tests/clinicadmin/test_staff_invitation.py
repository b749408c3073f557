"""Adding an account of another clinic needs that person's acceptance (issue #25, third
re-test, point 4): Riverside's admin posted the e-mail of another clinic's account to
/clinic/staff/ and the account at once became Riverside front desk, its two-factor
state shown. Now every invitation waits for its person; until they accept, the inviting
clinic sees the invitation (the address, the roles) and nothing of any account, and the
answer and the page are the same whether the address or the username is known on the
installation or not."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from acuback.accounts.models import Membership, Role, StaffInvitation, User
from acuback.audit.models import AuditEvent
from tests.factories import make_clinic, make_user

FORM = {"first_name": "Hal", "last_name": "Harbor", "roles": ["front_desk"]}


@pytest.fixture
def harbor(world):
    """A practitioner of another clinic, with an address."""
    user = make_user(make_clinic("Harbor Street"), Role.PRACTITIONER, "harbor")
    user.email = "harbor@example.org"
    user.save()
    return user


def _invite(client, email, username):
    return client.post(reverse("clinic_staff"), {**FORM, "email": email,
                                                 "username": username}, follow=True)


def _page(response) -> str:
    """The page as the admin sees it, with the address and username typed taken out."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    return body


def test_another_clinics_account_joins_only_when_its_owner_accepts(world, harbor, login):
    admin = login(world.admin)
    response = _invite(admin, "HARBOR@example.org", "whatever")
    assert response.status_code == 200
    # Nothing changed on the account, and nothing of it is shown to the inviting clinic.
    assert not Membership.objects.filter(user=harbor, clinic=world.clinic).exists()
    body = response.content.decode()
    assert "two-factor" not in body.lower() and "harbor</a>" not in body
    staff = admin.get(reverse("clinic_staff")).content.decode()
    assert reverse("clinic_staff_detail", args=[harbor.pk]) not in staff
    assert admin.get(reverse("clinic_staff_detail", args=[harbor.pk])).status_code == 404
    # The owner is told, logs in, and accepts.
    [message] = mail.outbox
    assert message.to == ["harbor@example.org"] and "accept" in message.body
    invitation = StaffInvitation.objects.get()
    page = login(harbor).get(reverse("staff_invitations"))
    assert page.status_code == 200 and world.clinic.name in page.content.decode()
    # Nobody else can accept it for them.
    assert login(world.admin).post(reverse("staff_invitation_accept",
                                           args=[invitation.pk])).status_code == 404
    assert not Membership.objects.filter(user=harbor, clinic=world.clinic).exists()
    assert login(harbor).post(reverse("staff_invitation_accept",
                                      args=[invitation.pk])).status_code == 302
    assert set(Membership.objects.filter(user=harbor, clinic=world.clinic)
               .values_list("role", flat=True)) == {"front_desk"}
    assert AuditEvent.objects.filter(action="staff.invitation_accept", actor=harbor,
                                     clinic=world.clinic).exists()
    # Accepted once.
    assert login(harbor).post(reverse("staff_invitation_accept",
                                      args=[invitation.pk])).status_code == 404


@pytest.mark.parametrize("known", ["email_of_other_clinic", "email_of_patient", "username"])
def test_the_invite_form_does_not_tell_whether_an_address_or_username_exists(
        world, harbor, login, known):
    world.patient_user.email = "alice@example.com"
    world.patient_user.save()
    email, username = {
        "email_of_other_clinic": ("harbor@example.org", "fresh1"),
        "email_of_patient": ("alice@example.com", "fresh1"),
        "username": ("fresh@example.org", "harbor"),
    }[known]
    admin = login(world.admin)
    unknown_answer = _invite(admin, "nobody@example.org", "fresh2")
    known_answer = _invite(admin, email, username)
    assert known_answer.status_code == unknown_answer.status_code == 200
    first = _page(unknown_answer).replace("nobody@example.org", "ADDRESS")
    second = _page(known_answer).replace(email, "ADDRESS")
    # Both pages list both invitations: compare the message and the invitation rows.
    assert "is invited" in first and "is invited" in second
    assert first.count("waiting") and second.count("waiting")
    assert _message(first) == _message(second)
    # Neither shows an account until it is accepted.
    assert not Membership.objects.filter(clinic=world.clinic, user__username__in=[
        "fresh1", "fresh2", "harbor"]).exists()
    # The audit log the admin reads names the invitation, not any account.
    for event in AuditEvent.objects.filter(action="staff.invite"):
        assert event.target.startswith("accounts.staffinvitation:")
        assert "new_account" not in event.detail


def _message(page: str) -> str:
    return re.search(r"[^>]*is invited[^<]*", page).group(0)


def test_a_new_colleague_chooses_a_password_then_accepts(world, login, client, settings):
    settings.ACUBACK_BASE_URL = "https://clinic.example.org"
    login(world.admin).post(reverse("clinic_staff"), {**FORM, "email": "new@example.org",
                                                      "username": "newdesk"})
    user = User.objects.get(username="newdesk")
    assert not Membership.objects.filter(user=user).exists()
    [message] = mail.outbox
    assert "https://clinic.example.org/" in message.body and "accept" in message.body
    invitation = StaffInvitation.objects.get(account=user)
    assert login(user).post(reverse("staff_invitation_accept",
                                    args=[invitation.pk])).status_code == 302
    assert Membership.objects.filter(user=user, clinic=world.clinic,
                                     role="front_desk").exists()
