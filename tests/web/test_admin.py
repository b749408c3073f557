"""The Django admin is a platform operator's tool (superusers only), and what it does is
audited; a clinic admin runs the clinic inside the application (issue #25 §1, §6)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from acuback.accounts.models import Membership, Role
from acuback.audit.models import AuditEvent

MODELS = sorted(f"{m._meta.app_label}_{m._meta.model_name}" for m in admin.site._registry)


@pytest.mark.parametrize("model", MODELS)
def test_nobody_but_a_platform_operator_gets_into_any_admin_list(world, login, operator,
                                                                 model):
    url = reverse(f"admin:{model}_changelist")
    for user in (world.admin, world.practitioner, world.front_desk, world.patient_user,
                 None):
        response = login(user).get(url)
        assert response.status_code == 302, (model, user)
        assert "/admin/login/" in response["Location"]
    assert login(operator).get(url).status_code in (200, 403)  # 403: a table with no list


def test_a_clinic_admin_with_django_staff_status_still_cannot_get_in(world, login):
    world.admin.is_staff = True
    world.admin.save()
    response = login(world.admin).get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admins_own_log_in_form_is_no_second_door(world, client, operator):
    # Found by the re-test of issue #25 §1: POST /admin/login/ with a staff-status clinic
    # admin's password logged them into the application with the password alone. The
    # admin's log-in hands over to the application's (lockout, two-factor).
    world.admin.is_staff = True
    world.admin.set_password("Admin-pw-2026!")
    world.admin.save()
    response = client.post(reverse("admin:login"), {"username": world.admin.username,
                                                    "password": "Admin-pw-2026!"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:login")).status_code == 302
    client.force_login(world.admin)
    assert client.get(reverse("admin:login")).status_code == 403
    client.force_login(operator)
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_no_demo_account_has_django_staff_status(db):
    from acuback.accounts.models import User
    from acuback.web.demo import seed_demo

    seed_demo()
    assert not User.objects.filter(is_staff=True).exists()


def test_a_clinic_admin_cannot_take_over_another_clinics_account(world, login):
    """The attack of issue #25 §1: join the victim to one's own clinic, then set its
    password. Both requests are refused and nothing changes."""
    world.admin.is_staff = True
    world.admin.save()
    victim = world.outsider  # a practitioner of the other clinic
    victim_hash = victim.password
    client = login(world.admin)
    client.post(reverse("admin:accounts_membership_add"),
                {"user": victim.pk, "clinic": world.clinic.pk, "role": Role.PATIENT})
    client.post(reverse("admin:auth_user_password_change", args=[victim.pk]),
                {"password1": "Taken-over-2026!", "password2": "Taken-over-2026!"})
    victim.refresh_from_db()
    assert not Membership.objects.filter(user=victim, clinic=world.clinic).exists()
    assert victim.password == victim_hash


def test_the_admin_link_is_shown_to_operators_only(world, login, operator):
    admin_url = reverse("admin:index")
    assert admin_url not in login(world.admin).get(reverse("home")).content.decode()
    assert admin_url in login(operator).get(reverse("home")).content.decode()


def test_an_operators_read_of_a_clinical_record_is_audited_with_the_patient(
        world_with_consent, login, operator):
    session = world_with_consent.session
    before = AuditEvent.objects.count()
    response = login(operator).get(reverse("admin:treatment_session_change", args=[session.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.order_by("pk").last()
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "operator.admin.view" and event.actor == operator
    assert event.patient_id == session.patient_id
    assert event.target == f"treatment.session:{session.pk}"


@pytest.mark.parametrize("model_of", [
    lambda w: w.screening, lambda w: w.response, lambda w: w.event, lambda w: w.episode,
    lambda w: w.consent, lambda w: w.patient,
], ids=["screening", "response", "adverse_event", "episode", "consent", "patient"])
def test_every_clinical_record_an_operator_opens_is_audited(world_with_consent, login,
                                                            operator, model_of):
    obj = model_of(world_with_consent)
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    assert login(operator).get(url).status_code == 200
    event = AuditEvent.objects.order_by("pk").last()
    assert event.action == "operator.admin.view"
    assert event.patient_id == world_with_consent.patient.pk


def test_an_operators_change_to_an_account_is_in_the_audit_chain(world, login, operator):
    client = login(operator)
    url = reverse("admin:auth_user_password_change", args=[world.front_desk.pk])
    response = client.post(url, {"password1": "A-new-passw0rd!", "password2": "A-new-passw0rd!",
                                 "usable_password": "true"})
    assert response.status_code == 302
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "detail"))
    posted = [d for a, d in actions if a == "operator.admin.post"]
    assert posted and "password1" in posted[-1]["fields"]
    assert "A-new-passw0rd!" not in str(actions)  # names of fields, never their values
    changed = [d for a, d in actions if a == "operator.admin.changed"]
    assert changed and "password" in changed[-1]["change"].lower()


def test_patients_cannot_be_deleted_in_the_admin_even_by_an_operator(world, login, operator):
    url = reverse("admin:patients_patient_delete", args=[world.patient.pk])
    assert login(operator).post(url, {"post": "yes"}).status_code == 403
    assert world.patient.__class__.objects.filter(pk=world.patient.pk).exists()


def test_every_model_of_acuback_is_in_the_admin():
    from django.apps import apps

    ours = {m for m in apps.get_models() if m.__module__.startswith("acuback.")}
    assert ours - set(admin.site._registry) == set()



def test_a_row_the_database_keeps_as_written_is_never_offered_for_editing(rf, operator):
    """Review of the change: the admin offered Save on invoices, payments, signed ABNs and
    sent claims' history, rows whose UPDATE the database refuses (a 500 for the operator).
    Every such model is view-only; the others keep their edit form."""
    from acuback import row_guards

    written_once = {g.table for g in row_guards.all_guards() if g.no_update and g.when is None}
    request = rf.get("/admin/")
    request.user = operator
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.db_table in written_once:
            checked += 1
            assert not model_admin.has_change_permission(request), model._meta.label
            assert model_admin.has_view_permission(request), model._meta.label
    assert checked >= 10
    from acuback.patients.models import Patient

    assert admin.site._registry[Patient].has_change_permission(request)
