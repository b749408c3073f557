"""Importing a transaction Bundle: all or nothing, with a report; and the round trip."""

from __future__ import annotations

import pytest

from acuback.accounts.models import Clinic, Credential, Practitioner
from acuback.audit.models import AuditEvent
from acuback.interop import mapping
from acuback.interop.models import Scope
from acuback.patients.models import EpisodeOfCare, Patient


@pytest.fixture
def beta(record):
    return Clinic.objects.get(memberships__user=record.outsider)


@pytest.fixture
def beta_admin(beta):
    from tests.factories import make_user

    return make_user(beta, "clinic_admin", "beta_admin")


def transaction(*resources):
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{n:012d}", "resource": r,
         "request": {"method": "POST", "url": r["resourceType"]}}
        for n, r in enumerate(resources)]}


def patient_resource(**overrides):
    data = {"resourceType": "Patient", "name": [{"family": "Quinn", "given": ["Rosa"]}],
            "birthDate": "1975-03-09", "gender": "female",
            "telecom": [{"system": "email", "value": "rosa@example.com"}]}
    data.update(overrides)
    return data


def condition_resource(subject="urn:uuid:00000000-0000-4000-8000-000000000000", code="M54.50"):
    return {"resourceType": "Condition", "subject": {"reference": subject},
            "code": {"coding": [{"system": mapping.ICD10CM, "code": code}]},
            "onsetDateTime": "2026-09-01", "recordedDate": "2026-10-01"}


def test_export_then_import_reproduces_patients_and_practitioners(record, beta, beta_admin,
                                                                   fhir, make_token):
    source = make_token(record.admin, record.clinic)
    patients = [e["resource"] for e in fhir("GET", "Patient", source)[1]["entry"]]
    practitioners = [e["resource"] for e in fhir("GET", "Practitioner", source)[1]["entry"]]
    conditions = [e["resource"] for e in fhir("GET", "Condition", source)[1]["entry"]]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": []}
    for r in patients + practitioners:
        bundle["entry"].append({"fullUrl": f"urn:{r['resourceType']}:{r['id']}", "resource": r,
                                "request": {"method": "POST", "url": r["resourceType"]}})
    for c in conditions:
        c = {**c, "subject": {"reference": f"urn:Patient:{c['subject']['reference'][8:]}"}}
        bundle["entry"].append({"resource": c, "request": {"method": "POST",
                                                           "url": "Condition"}})
    target = make_token(beta_admin, beta, scopes=(Scope.READ, Scope.WRITE))
    status, body, _ = fhir("POST", "", target, body=bundle)
    assert status == 200, body
    assert body["type"] == "transaction-response"
    assert all(e["response"]["status"] == "201 Created" for e in body["entry"])

    def people(clinic):
        return sorted((p.family_name, p.given_name, p.date_of_birth, p.sex_at_birth, p.email,
                       p.phone, p.city, p.postal_code) for p in
                      Patient.objects.filter(clinic=clinic, family_name__in=["Archer", "Baker"]))

    assert people(beta) == people(record.clinic)
    copied = Practitioner.objects.get(clinic=beta, display_name=record.practitioner_record
                                      .display_name)
    assert copied.profession == record.practitioner_record.profession
    assert [(c.kind, c.jurisdiction, c.expires_on) for c in copied.credentials.all()] == [
        (c.kind, c.jurisdiction, c.expires_on)
        for c in record.practitioner_record.credentials.all()]
    episode = EpisodeOfCare.objects.get(patient__clinic=beta)
    assert episode.diagnosis_codes == ["M54.50", "M54.16"]
    assert AuditEvent.objects.filter(action="fhir.import.create").count() == \
        len(bundle["entry"])


def test_one_refused_entry_refuses_the_whole_bundle_with_reasons(record, fhir, make_token):
    token = make_token(record.admin, record.clinic, scopes=(Scope.WRITE,))
    before = Patient.objects.count()
    bundle = transaction(patient_resource(), condition_resource(code="M54.5"),
                         {"resourceType": "Observation", "status": "final",
                          "code": {"text": "x"}},
                         condition_resource(subject="Patient/999999"))
    status, body, _ = fhir("POST", "", token, body=bundle)
    assert status == 422 and body["resourceType"] == "OperationOutcome"
    messages = [i["diagnostics"] for i in body["issue"]]
    assert any("M54.5 is a category header" in m for m in messages)
    assert any("only Patient, Practitioner, Condition can be imported" in m for m in messages)
    assert any("'Patient/999999' is neither" in m for m in messages)
    assert any("valid, not created" in m for m in messages)  # the patient entry
    assert Patient.objects.count() == before  # nothing was kept


def test_bad_bundles_get_operation_outcomes(record, fhir, make_token):
    token = make_token(record.admin, record.clinic, scopes=(Scope.WRITE,))
    for body, status, words in (
            ("{not json", 400, "not JSON"),
            ({"resourceType": "Patient"}, 400, "expected a Bundle"),
            ({"resourceType": "Bundle", "type": "batch"}, 400, "transaction"),
            (transaction(patient_resource(birthDate="9 March 1975")), 400, "not valid FHIR"),
            (transaction(patient_resource(name=[{"family": "Quinn"}])), 422, "given name"),
    ):
        code, outcome, _ = fhir("POST", "", token, body=body)
        assert code == status and outcome["resourceType"] == "OperationOutcome", body
        assert words in " ".join(i["diagnostics"] for i in outcome["issue"]), body


def test_a_duplicate_patient_is_refused(record, fhir, make_token):
    token = make_token(record.admin, record.clinic, scopes=(Scope.WRITE,))
    p = record.patient
    duplicate = patient_resource(name=[{"family": p.family_name, "given": [p.given_name]}],
                                 birthDate=p.date_of_birth.isoformat())
    status, body, _ = fhir("POST", "", token, body=transaction(duplicate))
    assert status == 422 and f"MRN {p.mrn}" in " ".join(i["diagnostics"] for i in body["issue"])


def test_import_needs_the_write_scope_and_an_admin(record, fhir, make_token):
    read = make_token(record.admin, record.clinic)
    assert fhir("POST", "", read, body=transaction(patient_resource()))[0] == 403
    practitioner = make_token(record.practitioner, record.clinic, scopes=(Scope.WRITE,))
    assert fhir("POST", "", practitioner, body=transaction(patient_resource()))[0] == 403


def test_warnings_are_reported_for_what_cannot_be_carried_over(record, fhir, make_token):
    token = make_token(record.admin, record.clinic, scopes=(Scope.WRITE,))
    practitioner = {"resourceType": "Practitioner", "name": [{"given": ["Li"], "family": "Wei"}],
                    "qualification": [{"code": {"text": "L.Ac."}}]}
    status, body, _ = fhir("POST", "", token, body=transaction(
        patient_resource(identifier=[{"system": "urn:old-ehr", "value": "A-17"}]), practitioner))
    assert status == 200
    notes = [i["diagnostics"] for e in body["entry"]
             for i in e["response"].get("outcome", {}).get("issue", [])]
    assert any("urn:old-ehr|A-17" in n for n in notes)
    assert any("recorded as licensed acupuncturist" in n for n in notes)
    assert any("qualification 1 not imported" in n for n in notes)
    assert not Credential.objects.filter(practitioner__display_name="Li Wei").exists()
