"""The clinic admin's invitations page is in the clinic-administration navigation, and an
invitation waiting to be accepted can be cancelled or sent again (issue #25 re-test,
point 5). Both are audited; both answer the same whoever the address belongs to (a new
person, another clinic's staff, an address nobody can use)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from acuback.accounts.models import Membership, Role, StaffInvitation
from acuback.audit.models import AuditEvent
from tests.factories import make_clinic, make_user

FORM = {"first_name": "Hal", "last_name": "Harbor", "roles": ["front_desk"]}


@pytest.fixture
def invited(world, login):
    """Three waiting invitations: a new person, another clinic's practitioner, and a
    patient's address (nobody can accept that one)."""
    harbor = make_user(make_clinic("Harbor Street"), Role.PRACTITIONER, "harbor")
    harbor.email = "harbor@example.org"
    harbor.save()
    world.patient_user.email = "alice@example.com"
    world.patient_user.save()
    admin = login(world.admin)
    for email, username in (("new@example.org", "newbie"), ("harbor@example.org", "x1"),
                            ("alice@example.com", "x2")):
        admin.post(reverse("clinic_staff"), {**FORM, "email": email, "username": username})
    mail.outbox.clear()
    world.harbor = harbor
    world.invitations = {i.email: i for i in StaffInvitation.objects.all()}
    return world


def _page(response) -> str:
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r"/clinic/invitations/\d+/", "/clinic/invitations/N/", body)


def test_the_invitations_page_is_in_the_clinic_admin_navigation(invited, login):
    admin = login(invited.admin)
    for page in ("clinic_admin", "clinic_staff", "clinic_audit"):
        assert f'href="{reverse("clinic_invitations")}"' in admin.get(reverse(page)) \
            .content.decode(), page
    listing = admin.get(reverse("clinic_invitations")).content.decode()
    for email in invited.invitations:
        assert email in listing


def test_a_cancelled_invitation_cannot_be_accepted(invited, login):
    invitation = invited.invitations["harbor@example.org"]
    answer = login(invited.admin).post(reverse("clinic_invitation_cancel",
                                               args=[invitation.pk]))
    assert answer.status_code == 302
    invitation.refresh_from_db()
    assert invitation.cancelled_at is not None and invitation.cancelled_by == invited.admin
    event = AuditEvent.objects.get(action="staff.invitation_cancel")
    assert event.clinic_id == invited.clinic.pk
    assert event.target == f"accounts.staffinvitation:{invitation.pk}"
    harbor = login(invited.harbor)
    assert "Alpha" not in harbor.get(reverse("staff_invitations")).content.decode()
    assert harbor.post(reverse("staff_invitation_accept", args=[invitation.pk])
                       ).status_code == 404
    assert not Membership.objects.filter(user=invited.harbor, clinic=invited.clinic).exists()
    # kept, not deleted, and no longer offered to re-send
    assert StaffInvitation.objects.filter(pk=invitation.pk).exists()
    assert login(invited.admin).post(reverse("clinic_invitation_resend",
                                             args=[invitation.pk])).status_code == 404


def test_a_resend_answers_the_same_for_every_address_and_mails_it_again(invited, login):
    admin = login(invited.admin)
    answers = []
    for email, invitation in invited.invitations.items():
        response = admin.post(reverse("clinic_invitation_resend", args=[invitation.pk]),
                              follow=True)
        assert response.status_code == 200
        page = _page(response)
        message = re.search(r"The invitation is sent to (\S+) again", page)
        assert message and message.group(1) == email
        for address in invited.invitations:
            page = page.replace(address, "<email>")
        answers.append(page)
    assert answers[0] == answers[1] == answers[2]
    sent = {m.to[0]: m.body for m in mail.outbox}
    assert set(sent) == set(invited.invitations)
    assert "/account/password/reset/" in sent["new@example.org"]  # a fresh password link
    assert "accept" in sent["harbor@example.org"]
    assert "cannot be used" in sent["alice@example.com"]
    assert AuditEvent.objects.filter(action="staff.invitation_resend").count() == 3


def test_only_the_inviting_clinics_admin_may_cancel_or_resend(invited, login):
    invitation = invited.invitations["new@example.org"]
    for user, status in ((invited.front_desk, 403), (invited.practitioner, 403)):
        for name in ("clinic_invitation_cancel", "clinic_invitation_resend"):
            assert login(user).post(reverse(name, args=[invitation.pk])).status_code == status
    other_admin = make_user(make_clinic("Gamma"), Role.CLINIC_ADMIN, "gamma_admin")
    for name in ("clinic_invitation_cancel", "clinic_invitation_resend"):
        assert login(other_admin).post(reverse(name, args=[invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.cancelled_at is None
