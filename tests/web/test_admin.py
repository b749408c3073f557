"""The Django admin obeys the same policy as the pages."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from acuback.audit.models import AuditEvent

MODELS = sorted(
    f"{m._meta.app_label}_{m._meta.model_name}" for m in admin.site._registry
    if m._meta.app_label in {"accounts", "patients", "audit", "screening", "treatment",
                              "outcomes"}
)


@pytest.mark.parametrize("model", MODELS)
def test_the_clinic_admin_can_open_every_list(world, login, model):
    client = login(world.admin)
    assert client.get(reverse(f"admin:{model}_changelist")).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_nobody_but_a_clinic_admin_gets_in(world, login, model):
    for user in (world.practitioner, world.front_desk, world.patient_user, None):
        response = login(user).get(reverse(f"admin:{model}_changelist"))
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_a_clinic_admin_of_another_clinic_sees_none_of_ours(world, login):
    from acuback.accounts.models import Membership, Role

    Membership.objects.create(user=world.outsider, clinic=world.outsider_patient.clinic,
                              role=Role.CLINIC_ADMIN)
    world.outsider.is_staff = True
    world.outsider.save()
    client = login(world.outsider)
    page = client.get(reverse("admin:patients_patient_changelist")).content.decode()
    assert "Zimmer" in page and "Archer" not in page
    url = reverse("admin:patients_patient_change", args=[world.patient.pk])
    assert client.get(url).status_code == 302  # Django admin redirects for a missing object


def test_patients_cannot_be_deleted_in_the_admin(world, login):
    client = login(world.admin)
    url = reverse("admin:patients_patient_delete", args=[world.patient.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert world.patient.__class__.objects.filter(pk=world.patient.pk).exists()


def test_opening_a_patient_in_the_admin_is_audited(world, login):
    login(world.admin).get(reverse("admin:patients_patient_change", args=[world.patient.pk]))
    event = AuditEvent.objects.get(action="patient.view")
    assert event.detail == {"page": "admin"} and event.patient == world.patient


def test_a_clinic_admin_cannot_make_anyone_superuser(world, login):
    client = login(world.admin)
    url = reverse("admin:accounts_user_change", args=[world.front_desk.pk])
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page


def test_users_of_other_clinics_are_hidden(world, login):
    page = login(world.admin).get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "alpha_desk" in page and "beta_prac" not in page


def test_every_model_of_acuback_is_in_the_admin():
    from django.apps import apps

    ours = {m for m in apps.get_models() if m.__module__.startswith("acuback.")}
    assert ours - set(admin.site._registry) == set()
