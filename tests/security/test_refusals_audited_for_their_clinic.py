"""Refused requests are audited for the clinic they were aimed at (issue #25 re-test,
point 2): the clinic admin's audit log shows the attempts against the clinic, with a
filter, and the attacker's own clinic log never tells another clinic's object from an
id that does not exist."""

from __future__ import annotations

import pytest
from django.urls import reverse

from acuback.accounts.models import Role
from acuback.audit.models import AuditEvent
from tests.factories import make_practitioner, make_record, make_user

REFUSALS = ("security.forbidden", "security.not_found", "security.csrf_failure")


def _refusals():
    return AuditEvent.objects.filter(action__in=REFUSALS)


@pytest.fixture
def beta_admin(world):
    return make_user(world.outsider_patient.clinic, Role.CLINIC_ADMIN, "beta_admin")


@pytest.mark.parametrize("page", ["patient_chart", "patient_clinical", "patient_superbill",
                                  "patient_outcomes"])
def test_another_clinics_attempt_is_in_the_targeted_clinics_log(page, world, login,
                                                                beta_admin):
    url = reverse(page, args=[world.patient.pk])
    assert login(world.outsider).get(url).status_code == 404
    [aimed] = _refusals().filter(clinic=world.clinic)
    assert aimed.action == "security.not_found" and aimed.actor == world.outsider
    assert aimed.target == f"patients.patient:{world.patient.pk}"
    assert aimed.detail["path"] == url
    # The clinic admin sees it, with the refused-requests filter.
    page_html = login(world.admin).get(reverse("clinic_audit"), {"refused": "on"})
    body = page_html.content.decode()
    assert page_html.status_code == 200 and "beta_prac" in body and url in body
    assert "audit.view" not in body  # the filter keeps refusals only


def test_the_attackers_clinic_log_does_not_tell_an_object_from_an_unknown_id(world, login,
                                                                             beta_admin):
    beta = world.outsider_patient.clinic
    client = login(world.outsider)
    known = reverse("patient_chart", args=[world.patient.pk])
    unknown = reverse("patient_chart", args=[world.patient.pk + 10_000])
    assert client.get(known).status_code == client.get(unknown).status_code == 404
    own = list(_refusals().filter(clinic=beta).order_by("pk"))
    assert [e.detail["path"] for e in own] == [known, unknown]
    assert {(e.action, e.target, e.patient_id, e.break_glass) for e in own} == {
        ("security.not_found", "", None, False)}
    # The unknown id named nothing, so nothing went to any other clinic's log.
    assert _refusals().filter(clinic=world.clinic).count() == 1
    assert _refusals().filter(clinic__isnull=True).count() == 0
    body = login(beta_admin).get(reverse("clinic_audit"), {"refused": "on"}).content.decode()
    assert "patients.patient:" not in body


def test_a_refusal_inside_the_clinic_is_in_its_log_with_its_target(world, login):
    url = reverse("patient_clinical", args=[world.patient.pk])
    assert login(world.front_desk).get(url).status_code == 403
    [event] = _refusals()
    assert event.action == "security.forbidden" and event.clinic_id == world.clinic.pk
    assert event.target == f"patients.patient:{world.patient.pk}"


def test_a_refusal_naming_no_object_is_in_the_users_own_clinic_log(world, login):
    assert login(world.front_desk).get(reverse("claim_export")).status_code == 403
    [event] = _refusals()
    assert event.clinic_id == world.clinic.pk and event.target == ""


def test_a_forged_form_is_in_the_targeted_clinics_log(world, client):
    from django.test import Client

    forged = Client(enforce_csrf_checks=True)
    forged.force_login(world.outsider)
    url = reverse("patient_edit", args=[world.patient.pk])
    assert forged.post(url, {"given_name": "X"}).status_code == 403
    assert _refusals().filter(action="security.csrf_failure", clinic=world.clinic).exists()


def test_the_apis_care_refusals_are_in_the_clinics_log(world, login):
    w = make_record(world)
    colleague = make_user(w.clinic, "practitioner", "dokafor")
    make_practitioner(w.clinic, colleague)
    client = login(colleague)
    assert client.get(f"/fhir/Patient/{w.patient.pk}/$everything").status_code == 404
    assert client.get(f"/api/patients/{w.patient.pk}/scores").status_code == 404
    events = _refusals().filter(clinic=w.clinic, actor=colleague)
    assert events.count() == 2
    assert {e.detail["reason"] for e in events} == {"outside_care"}
