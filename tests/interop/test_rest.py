"""The FHIR REST endpoints: tokens and scopes, isolation, search, paging, errors."""

from __future__ import annotations

from datetime import timedelta

from acuback.audit.models import AuditEvent
from acuback.interop import mapping
from acuback.interop.models import Scope
from tests.factories import clinic_today


def test_the_capability_statement_is_public_and_valid(fhir):
    status, body, _ = fhir("GET", "metadata")
    assert status == 200 and body["fhirVersion"] == "4.0.1"
    mapping.validate(body)
    types = {r["type"] for r in body["rest"][0]["resource"]}
    assert types == {*mapping.RESOURCE_TYPES, "Group"}  # Group: for $export only


def test_without_a_token_the_api_answers_401_with_an_operation_outcome(record, fhir):
    status, body, response = fhir("GET", "Patient")
    assert status == 401 and body["resourceType"] == "OperationOutcome"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_revoked_unknown_and_malformed_tokens_are_refused(record, fhir, make_token):
    expired = make_token(record.admin, record.clinic, days=-1)
    revoked = make_token(record.admin, record.clinic, revoked=True)
    for token, words in ((expired, "expired"), (revoked, "revoked"), ("acb_nope", "unknown")):
        status, body, _ = fhir("GET", "Patient", token)
        assert status == 401 and words in body["issue"][0]["diagnostics"]
    status, body, _ = fhir("GET", "Patient", HTTP_AUTHORIZATION="Basic abc")
    assert status == 401 and body["resourceType"] == "OperationOutcome"


def test_a_token_without_the_read_scope_cannot_read(record, fhir, make_token):
    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    status, body, _ = fhir("GET", f"Patient/{record.patient.pk}", token)
    assert status == 403 and "user/*.read" in body["issue"][0]["diagnostics"]


def test_read_returns_the_resource_and_audits_it(record, fhir, make_token):
    token = make_token(record.practitioner, record.clinic)
    status, body, response = fhir("GET", f"Patient/{record.patient.pk}", token)
    assert status == 200 and body["id"] == str(record.patient.pk)
    assert response["Content-Type"].startswith("application/fhir+json")
    event = AuditEvent.objects.filter(action="fhir.read").latest("pk")
    assert event.patient_id == record.patient.pk and event.actor == record.practitioner


def test_another_clinic_sees_nothing_of_clinic_a(record, fhir, make_token):
    from acuback.accounts.models import Clinic

    beta = Clinic.objects.get(memberships__user=record.outsider)
    token = make_token(record.outsider, beta)
    assert fhir("GET", f"Patient/{record.patient.pk}", token)[0] == 404
    assert fhir("GET", f"Procedure/{record.session.pk}", token)[0] == 404
    status, body, _ = fhir("GET", f"Observation?patient=Patient/{record.patient.pk}", token)
    assert status == 200 and body["total"] == 0
    status, body, _ = fhir("GET", "Patient", token)
    assert {e["resource"]["id"] for e in body["entry"]} == {str(record.outsider_patient.pk)}


def test_front_desk_gets_demographics_but_no_clinical_record(record, fhir, make_token):
    token = make_token(record.front_desk, record.clinic)
    assert fhir("GET", f"Patient/{record.patient.pk}", token)[0] == 200
    # a clinical type is closed to the role: the same 403 for read and search (issue #30)
    assert fhir("GET", f"Condition/{record.episode.pk}", token)[0] == 403
    assert fhir("GET", "Observation", token)[0] == 403


def test_a_patient_uses_the_portal_download_not_the_staff_api(record, fhir, login):
    login(record.patient_user)
    status, body, _ = fhir("GET", f"Patient/{record.patient.pk}")
    assert status == 403 and body["resourceType"] == "OperationOutcome"


def test_session_access_is_read_only(record, fhir, login):
    login(record.admin)
    assert fhir("GET", f"Patient/{record.patient.pk}")[0] == 200
    status, body, _ = fhir("POST", "", body={"resourceType": "Bundle", "type": "transaction"})
    assert status == 401 and body["resourceType"] == "OperationOutcome"


def test_search_by_patient_date_and_code(record, fhir, make_token):
    token = make_token(record.admin, record.clinic)
    pid = record.patient.pk
    status, body, _ = fhir("GET", f"Observation?patient={pid}&code=http://loinc.org|97909-6",
                           token)
    assert status == 200 and body["total"] == 1
    assert body["entry"][0]["resource"]["id"] == str(record.odi.pk)
    assert fhir("GET", f"Observation?subject=Patient/{pid}&code=nrs", token)[1]["total"] == 1
    today = clinic_today(record.clinic)  # the session's date: the clinic's calendar
    tomorrow = today + timedelta(days=1)
    assert fhir("GET", f"Encounter?patient={pid}&date={today}", token)[1]["total"] == 1
    assert fhir("GET", f"Encounter?patient={pid}&date=ge{tomorrow}", token)[1]["total"] == 0
    assert fhir("GET", f"Encounter?date=lt{today}", token)[1]["total"] == 0
    assert fhir("GET", f"Condition?code={mapping.ICD10CM}|M54.16", token)[1]["total"] == 1
    assert fhir("GET", "Condition?code=M51.16", token)[1]["total"] == 0
    assert fhir("GET", "Procedure?code=97814", token)[1]["total"] == 1
    assert fhir("GET", f"Patient?identifier={record.patient.mrn}", token)[1]["total"] == 1
    assert fhir("GET", "Patient?family=arch", token)[1]["total"] == 1
    assert fhir("GET", f"Coverage?beneficiary=Patient/{pid}", token)[1]["total"] == 1


def test_paging_follows_next_links_to_the_end(record, fhir, make_token):
    from tests.factories import make_patient

    for n in range(5):
        make_patient(record.clinic, family_name=f"Page{n}")
    token = make_token(record.admin, record.clinic)
    status, body, _ = fhir("GET", "Patient?_count=3", token)
    seen = [e["resource"]["id"] for e in body["entry"]]
    total = body["total"]
    while next_link := {x["relation"]: x["url"] for x in body["link"]}.get("next"):
        body = fhir("GET", next_link.split("/fhir/", 1)[1], token)[1]
        seen += [e["resource"]["id"] for e in body["entry"]]
    assert len(seen) == len(set(seen)) == total == 7


def test_bad_searches_get_400_naming_the_parameter(record, fhir, make_token):
    token = make_token(record.admin, record.clinic)
    for query, words in (("Patient?colour=blue", "colour"),
                         ("Encounter?date=yesterday", "not a FHIR date"),
                         ("Encounter?date=2026-02-30", "not a valid date"),
                         ("Encounter?date=ap2026-01-01", "prefix"),
                         ("Observation?patient=Practitioner/1", "reference to Patient"),
                         ("Patient?_count=-1", "_count"),
                         ("Spaceship", "unknown or unsupported resource type")):
        status, body, _ = fhir("GET", query, token)
        assert status == 400, query
        assert body["resourceType"] == "OperationOutcome" and words in \
            body["issue"][0]["diagnostics"], query


def test_a_missing_resource_or_wrong_method_is_an_operation_outcome(record, fhir, make_token):
    token = make_token(record.admin, record.clinic)
    assert fhir("GET", "Patient/999999", token)[:2][0] == 404
    assert fhir("GET", "Patient/abc", token)[0] == 404
    status, body, _ = fhir("DELETE", f"Patient/{record.patient.pk}", token)
    assert status == 405 and body["resourceType"] == "OperationOutcome"
    assert fhir("GET", "Patient/1/2/3", token)[0] == 404


def test_patient_everything_returns_a_valid_bundle_and_is_audited(record, fhir, make_token):
    token = make_token(record.practitioner, record.clinic)
    status, body, _ = fhir("GET", f"Patient/{record.patient.pk}/$everything", token)
    assert status == 200 and body["type"] == "searchset"
    types = {e["resource"]["resourceType"] for e in body["entry"]}
    assert {"Patient", "Organization", "Practitioner", "Condition", "Encounter", "Procedure",
            "Observation", "QuestionnaireResponse", "AdverseEvent", "Consent", "Appointment",
            "Coverage"} <= types
    assert AuditEvent.objects.filter(action="fhir.everything",
                                     patient=record.patient).exists()
    assert fhir("GET", f"Patient/{record.outsider_patient.pk}/$everything", token)[0] == 404


def test_the_portal_offers_the_patient_their_record_as_fhir(record, login):
    import json

    response = login(record.patient_user).get("/portal/record.fhir.json")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    bundle = json.loads(response.content)
    mapping.validate(bundle)
    patients = {e["resource"]["id"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "Patient"}
    assert patients == {str(record.patient.pk)}
    assert AuditEvent.objects.filter(action="portal.download_record_fhir").exists()
