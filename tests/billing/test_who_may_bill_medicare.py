"""Who may bill Medicare acupuncture on the date of service (NCD 30.3.3, §1.3): the
practitioner's profession, credentials and supervision that day decide; incident-to
claims carry the supervising practitioner's NPI; ineligible services get GY, with why."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from acuback.accounts.models import Credential, Practitioner
from acuback.billing import superbill
from acuback.clinical import coverage
from tests.billing.conftest import OTHER_NPI, VALID_NPI, visit
from tests.factories import make_practitioner


def rows(world):
    today = timezone.localdate()
    bill = superbill.build(patient=world.patient, start=today - timedelta(days=400), end=today)
    return superbill.claim_rows(bill)


def acupuncturist(world, *, degree=True):
    """The world's licensed acupuncturist (licence current in US-IL), unsupervised."""
    from acuback.accounts.models import Supervision

    lac = world.practitioner_record
    Supervision.objects.filter(supervisee=lac).delete()
    if not degree:
        Credential.objects.filter(practitioner=lac, kind="degree").delete()
    return lac


def physician(world, npi=VALID_NPI):
    doctor = make_practitioner(world.clinic)
    Practitioner.objects.filter(pk=doctor.pk).update(profession="physician", npi=npi,
                                                    display_name="Dr Porter")
    doctor.refresh_from_db()
    return doctor


def test_a_chiropractor_does_not_produce_a_clean_medicare_line(medicare_patient):
    chiro = make_practitioner(medicare_patient.clinic)
    Practitioner.objects.filter(pk=chiro.pk).update(profession="chiropractor", npi=OTHER_NPI)
    visit(medicare_patient, timezone.localdate() - timedelta(days=3), practitioner=chiro)
    [row] = rows(medicare_patient)
    assert row["box_24d_modifiers"] == "GY" and row["status"] == "not covered"
    assert "chiropractors cannot bill it" in row["reason"]


def test_an_acupuncturist_with_no_supervisor_is_flagged_gy(medicare_patient):
    acupuncturist(medicare_patient)
    visit(medicare_patient, timezone.localdate() - timedelta(days=3))
    [row] = rows(medicare_patient)
    assert row["box_24d_modifiers"] == "GY"
    assert "must be supervised" in row["reason"]
    assert row["box_24j_rendering_npi"] == "" and row["box_33a_billing_npi"] == ""


def supervise(**kw):
    from acuback.accounts.models import Supervision

    return Supervision.objects.create(**kw)


def test_incident_to_bills_under_the_supervising_practitioners_npi(medicare_patient):
    lac = acupuncturist(medicare_patient)
    Practitioner.objects.filter(pk=lac.pk).update(npi=OTHER_NPI)
    doctor = physician(medicare_patient)
    supervise(supervisee=lac, supervisor=doctor,
                               valid_from=timezone.localdate() - timedelta(days=30))
    visit(medicare_patient, timezone.localdate() - timedelta(days=3))
    [row] = rows(medicare_patient)
    assert row["box_24d_modifiers"] == "" and row["status"] == "ready"
    assert row["box_24j_rendering_npi"] == VALID_NPI
    assert row["box_33a_billing_npi"] == VALID_NPI and row["supervising_npi"] == VALID_NPI
    assert "Dr Porter" in row["box_33_billing_provider"]


def test_supervision_is_read_on_the_date_of_service(medicare_patient):
    lac = acupuncturist(medicare_patient)
    doctor = physician(medicare_patient)
    today = timezone.localdate()
    supervise(supervisee=lac, supervisor=doctor,
                               valid_from=today - timedelta(days=10))
    visit(medicare_patient, today - timedelta(days=20))  # before the supervision began
    visit(medicare_patient, today - timedelta(days=5))
    assert [r["box_24d_modifiers"] for r in rows(medicare_patient)] == ["GY", ""]


def test_without_the_accredited_degree_the_acupuncturist_is_not_eligible(medicare_patient):
    lac = acupuncturist(medicare_patient, degree=False)
    supervise(supervisee=lac, supervisor=physician(medicare_patient))
    visit(medicare_patient, timezone.localdate() - timedelta(days=3))
    [row] = rows(medicare_patient)
    assert row["box_24d_modifiers"] == "GY" and "ACAOM/ACAHM" in row["reason"]


def test_a_supervisor_without_an_npi_holds_the_claim_with_the_reason(medicare_patient, login):
    lac = acupuncturist(medicare_patient)
    supervise(supervisee=lac, supervisor=physician(medicare_patient, npi=""))
    visit(medicare_patient, timezone.localdate() - timedelta(days=3))
    [row] = rows(medicare_patient)
    assert row["status"] == "held" and "has no NPI" in row["reason"]
    page = login(medicare_patient.front_desk).get(
        reverse("patient_superbill", args=[medicare_patient.patient.pk]),
        {"from": (timezone.localdate() - timedelta(days=30)).isoformat()}).content.decode()
    assert "has no NPI" in page


def test_the_route_rule_itself():
    lac = coverage.Furnisher("L", "acupuncturist", "", True, (
        coverage.Degree("doctoral", "oriental_medicine", "ACAOM"),))
    doctor = coverage.Furnisher("D", "physician", VALID_NPI, True)
    expired_doctor = coverage.Furnisher("D", "physician", VALID_NPI, False)
    assert coverage.medicare_route(lac, doctor).billing_npi == VALID_NPI
    assert not coverage.medicare_route(lac, None).eligible
    assert not coverage.medicare_route(lac, expired_doctor).eligible
    assert coverage.medicare_route(doctor, None).rendering_npi == VALID_NPI
    assert not coverage.medicare_route(coverage.Furnisher("C", "chiropractor", VALID_NPI,
                                                          True), None).eligible


def test_a_practitioner_who_left_since_keeps_the_visits_they_gave(medicare_patient):
    visit(medicare_patient, timezone.localdate() - timedelta(days=3))
    Practitioner.objects.filter(pk=medicare_patient.practitioner_record.pk).update(
        is_active=False)
    [row] = rows(medicare_patient)
    assert row["box_24d_modifiers"] == "" and row["status"] == "ready"
