"""The clinic admin manages staff accounts inside the application, never an account that
also belongs to another clinic, never another clinic's people."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.urls import reverse

from acuback.accounts.models import Clinic, Membership, Role, StaffInvitation, User
from acuback.audit.models import AuditEvent
from tests.factories import PASSWORD, make_user


@pytest.fixture
def beta(world) -> Clinic:
    return Clinic.objects.get(memberships__user=world.outsider)


@pytest.fixture
def shared(world, beta) -> User:
    """A practitioner who works at both clinics."""
    user = make_user(world.clinic, Role.PRACTITIONER, "two_clinics")
    Membership.objects.create(user=user, clinic=beta, role=Role.PRACTITIONER)
    return user


@pytest.fixture
def beta_admin(beta) -> User:
    return make_user(beta, Role.CLINIC_ADMIN, "beta_admin")


def _events(action: str):
    return AuditEvent.objects.filter(action=action)


# --- the list and the picker -------------------------------------------------------------------

def test_the_staff_list_shows_this_clinics_staff_only(world, shared, login):
    page = login(world.admin).get(reverse("clinic_staff")).content.decode()
    for user in (world.admin, world.practitioner, world.front_desk, shared):
        assert user.username in page
    # patients and the other clinic's people are not staff of this clinic
    for user in (world.patient_user, world.other_patient_user, world.outsider):
        assert f">{user.username}<" not in page


def test_no_picker_of_the_admin_pages_lists_another_clinics_account(world, shared, login):
    from acuback.clinicadmin.forms import AuditFilterForm, PractitionerForm
    from acuback.interop.token_views import TokenForm

    outsiders = {world.outsider.pk, world.patient_user.pk, world.other_patient_user.pk}
    for form in (AuditFilterForm(clinic=world.clinic), PractitionerForm(clinic=world.clinic),
                 TokenForm(clinic=world.clinic)):
        field = form.fields["actor" if "actor" in form.fields else "user"]
        listed = set(field.queryset.values_list("pk", flat=True))
        assert listed and not listed & outsiders, type(form).__name__


# --- invitations -------------------------------------------------------------------------------

def test_an_invited_colleague_gets_a_link_to_choose_a_password(world, login, client, settings):
    settings.ACUBACK_BASE_URL = "https://clinic.example.org"
    response = login(world.admin).post(reverse("clinic_staff"), {
        "email": "new@example.org", "username": "newdesk", "first_name": "Nia",
        "last_name": "New", "roles": ["front_desk"]})
    assert response.status_code == 302
    user = User.objects.get(username="newdesk")
    assert not user.has_usable_password()
    # Staff once they accept, logged in (tests/clinicadmin/test_staff_invitation.py).
    assert not Membership.objects.filter(user=user).exists()
    [message] = mail.outbox
    link = next(w for w in message.body.split() if w.startswith("https://clinic.example.org/"))
    assert _events("staff.invite").filter(clinic=world.clinic, actor=world.admin).exists()
    # the colleague opens the link and chooses a password
    client.logout()
    form_page = client.get(link, follow=True)
    assert b"Choose your password" in form_page.content
    response = client.post(form_page.redirect_chain[-1][0], {
        "new_password1": "a-long-new-password-7", "new_password2": "a-long-new-password-7"})
    assert response.status_code == 302
    assert authenticate(username="newdesk", password="a-long-new-password-7") is not None
    assert _events("auth.password.reset").filter(actor=user).exists()
    # the link works once
    assert b"has been used or has expired" in client.get(link, follow=True).content


def test_inviting_someone_from_another_clinic_changes_nothing_until_they_accept(
        world, shared, beta, login):
    password_before = shared.password
    login(world.admin).post(reverse("clinic_staff"), {
        "email": "", "username": "x", "first_name": "x", "last_name": "x",
        "roles": ["front_desk"]})  # no address: refused
    shared.email = "two@example.org"
    shared.save()
    response = login(world.admin).post(reverse("clinic_staff"), {
        "email": "TWO@example.org", "username": "ignored", "first_name": "Changed",
        "last_name": "Changed", "roles": ["front_desk"]})
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.password == password_before and shared.first_name != "Changed"
    assert set(Membership.objects.filter(user=shared).values_list("clinic_id", "role")) == {
        (world.clinic.pk, "practitioner"), (beta.pk, "practitioner")}
    assert not User.objects.filter(username="ignored").exists()


def test_a_patients_address_cannot_be_invited_as_staff(world, login):
    world.patient_user.email = "alice@example.com"
    world.patient_user.save()
    response = login(world.admin).post(reverse("clinic_staff"), {
        "email": "alice@example.com", "username": "alice2", "first_name": "A",
        "last_name": "A", "roles": ["practitioner"]})
    # The same answer as for any address (the form tells nothing about accounts); the
    # address is told by e-mail why it cannot be used, and nobody can accept.
    assert response.status_code == 302
    assert StaffInvitation.objects.get(email="alice@example.com").account is None
    assert not Membership.objects.filter(user=world.patient_user,
                                         role=Role.PRACTITIONER).exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "not-an-address", b"Enter a valid email address"),
    ("username", "has space", b"Enter a valid value"),
    ("roles", "patient", b"Select a valid choice"),
])
def test_bad_invitations_name_the_field(world, login, field, value, message):
    data = {"email": "ok@example.org", "username": "okuser", "first_name": "O",
            "last_name": "K", "roles": ["front_desk"], field: value}
    response = login(world.admin).post(reverse("clinic_staff"), data)
    assert response.status_code == 400 and message in response.content
    assert not mail.outbox


# --- roles ------------------------------------------------------------------------------------

def test_the_admin_changes_roles_in_this_clinic_even_for_a_two_clinic_account(
        world, shared, beta, login):
    response = login(world.admin).post(reverse("clinic_staff_detail", args=[shared.pk]),
                                       {"roles_form": "1", "roles": ["front_desk"]})
    assert response.status_code == 302
    assert set(Membership.objects.filter(user=shared).values_list("clinic_id", "role")) == {
        (world.clinic.pk, "front_desk"), (beta.pk, "practitioner")}
    event = _events("staff.roles").get()
    assert event.detail == {"before": ["practitioner"], "after": ["front_desk"]}


def test_the_last_clinic_admin_cannot_be_removed(world, login):
    response = login(world.admin).post(reverse("clinic_staff_detail", args=[world.admin.pk]),
                                       {"roles_form": "1", "roles": ["practitioner"]})
    assert response.status_code == 400 and b"at least one clinic admin" in response.content
    assert Membership.objects.filter(user=world.admin, role=Role.CLINIC_ADMIN).exists()


def test_no_roles_means_leaving_this_clinics_staff(world, login):
    login(world.admin).post(reverse("clinic_staff_detail", args=[world.front_desk.pk]),
                            {"roles_form": "1"})
    assert not Membership.objects.filter(user=world.front_desk).exists()
    assert login(world.front_desk).get(reverse("patient_list")).status_code == 403


# --- account actions and the cross-clinic rule ---------------------------------------------------

ACCOUNT_ACTIONS = ["clinic_staff_deactivate", "clinic_staff_2fa_reset", "clinic_staff_unlock",
                   "clinic_staff_password"]


@pytest.mark.parametrize("action", ACCOUNT_ACTIONS)
def test_no_account_action_touches_an_account_of_two_clinics(world, shared, login, action):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=shared, name="phone")
    before = User.objects.filter(pk=shared.pk).values().get()
    response = login(world.admin).post(reverse(action, args=[shared.pk]),
                                       {"password": "another-long-password-9"})
    assert response.status_code == 403
    assert User.objects.filter(pk=shared.pk).values().get() == before
    assert TOTPDevice.objects.filter(user=shared).exists()
    assert not AuditEvent.objects.filter(target=f"accounts.user:{shared.pk}").exists()


def test_the_details_of_an_account_of_two_clinics_are_not_changed(world, shared, login):
    client = login(world.admin)
    page = client.get(reverse("clinic_staff_detail", args=[shared.pk]))
    assert b"also belongs to another clinic" in page.content
    assert b"Reset two-factor" not in page.content
    response = client.post(reverse("clinic_staff_detail", args=[shared.pk]),
                           {"email": "mine@example.org", "first_name": "X", "last_name": "Y"})
    assert response.status_code == 403
    shared.refresh_from_db()
    assert shared.email != "mine@example.org"


@pytest.mark.parametrize("name", ["clinic_staff_detail", *ACCOUNT_ACTIONS,
                                  "clinic_staff_reactivate"])
def test_another_clinics_admin_gets_404_for_this_clinics_staff(world, beta_admin, login, name):
    client = login(beta_admin)
    method = client.get if name == "clinic_staff_detail" else client.post
    assert method(reverse(name, args=[world.front_desk.pk])).status_code == 404
    world.front_desk.refresh_from_db()
    assert world.front_desk.is_active


def test_a_clinic_admin_cannot_change_a_platform_operators_account(world, login):
    operator = make_user(world.clinic, Role.FRONT_DESK, "operator")
    operator.is_superuser = True
    operator.save()
    response = login(world.admin).post(reverse("clinic_staff_password", args=[operator.pk]),
                                       {"password": "another-long-password-9"})
    assert response.status_code == 403
    assert authenticate(username="operator", password=PASSWORD) is not None


def test_deactivating_ends_log_ins_and_is_audited(world, login):
    from django.test import Client

    desk = Client()
    desk.login(username="alpha_desk", password=PASSWORD)
    assert desk.get(reverse("patient_list")).status_code == 200
    response = login(world.admin).post(reverse("clinic_staff_deactivate",
                                               args=[world.front_desk.pk]))
    assert response.status_code == 302
    # the session they had open ends too
    assert desk.get(reverse("patient_list")).status_code == 302
    world.front_desk.refresh_from_db()
    assert not world.front_desk.is_active
    assert authenticate(username="alpha_desk", password=PASSWORD) is None
    assert _events("staff.deactivate").filter(actor=world.admin).exists()
    login(world.admin).post(reverse("clinic_staff_reactivate", args=[world.front_desk.pk]))
    assert authenticate(username="alpha_desk", password=PASSWORD) is not None


def test_the_admin_cannot_deactivate_themselves(world, login):
    login(world.admin).post(reverse("clinic_staff_deactivate", args=[world.admin.pk]))
    world.admin.refresh_from_db()
    assert world.admin.is_active


def test_resetting_two_factor_removes_the_devices_and_asks_for_a_new_one(world, login,
                                                                          settings):
    from django_otp import user_has_device
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=world.practitioner, name="phone")
    StaticDevice.objects.create(user=world.practitioner, name="recovery")
    login(world.admin).post(reverse("clinic_staff_2fa_reset", args=[world.practitioner.pk]))
    assert not user_has_device(world.practitioner, confirmed=None)
    assert _events("staff.2fa_reset").get().detail == {"devices": 2}
    settings.ACUBACK_REQUIRE_2FA = True
    response = login(world.practitioner).get(reverse("patient_list"))
    assert response.status_code == 302 and "/account/2fa/setup/" in response["Location"]


def test_unlocking_lifts_a_lockout(world, login, settings, client):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(username="alpha_desk", ip_address="10.0.0.1",
                                 user_agent="x", failures_since_start=9)
    AccessAttempt.objects.create(username="alpha_desk", ip_address="10.0.0.2",
                                 user_agent="x", failures_since_start=2)
    client = login(world.admin)
    # Found by the re-test of issue #25 §1: the staff page said "Active" for a locked-out
    # account, and the unlock event counted rows ("attempts: 1"), not failed log-ins.
    page = client.get(reverse("clinic_staff_detail", args=[world.front_desk.pk])).content
    assert b"Locked out until" in page and b"(11 failed log-ins)" in page
    client.post(reverse("clinic_staff_unlock", args=[world.front_desk.pk]))
    assert not AccessAttempt.objects.filter(username="alpha_desk").exists()
    assert _events("staff.unlock").get().detail == {"failures": 11, "was_locked": True}
    page = client.get(reverse("clinic_staff_detail", args=[world.front_desk.pk])).content
    assert b"Locked out" not in page and b"failed log-in" not in page


def test_a_temporary_password_must_be_changed_at_the_next_log_in(world, login, client):
    response = login(world.admin).post(reverse("clinic_staff_password",
                                                args=[world.front_desk.pk]),
                                       {"password": "temporary-pass-2026"})
    assert response.status_code == 302
    client.logout()
    assert client.login(username="alpha_desk", password="temporary-pass-2026")
    response = client.get(reverse("patient_list"))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    response = client.post(reverse("password_change"), {
        "old_password": "temporary-pass-2026", "new_password1": "my-own-pass-2026!",
        "new_password2": "my-own-pass-2026!"})
    assert response.status_code == 302
    assert client.get(reverse("patient_list")).status_code == 200  # still logged in
    world.front_desk.refresh_from_db()
    assert not world.front_desk.must_change_password
    assert _events("auth.password.change").filter(actor=world.front_desk).exists()


def test_a_weak_temporary_password_is_refused_with_a_reason(world, login):
    client = login(world.admin)
    response = client.post(reverse("clinic_staff_password", args=[world.front_desk.pk]),
                           {"password": "123"}, follow=True)
    assert b"Temporary password: This password is too short" in response.content
    assert authenticate(username="alpha_desk", password=PASSWORD) is not None
