"""Bulk Data (issue 30 §4): Patient/$export and Group/[id]/$export beside the system
level, `_since` at every level, POST kick-off with a Parameters body, and
`Prefer: handling=lenient`."""

from __future__ import annotations

import json

import pytest

from acuback.interop.models import BulkExport, Scope
from tests.factories import make_clinic, make_practitioner


@pytest.fixture
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DATA_DIR = tmp_path


ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


def _manifest(fhir, token, response) -> dict:
    status_path = response["Content-Location"].split("/fhir/", 1)[1]
    status, manifest, _ = fhir("GET", status_path, token)
    assert status == 200, manifest
    return manifest


def _lines(fhir, token, manifest) -> dict[str, list[dict]]:
    files = {}
    for item in manifest["output"]:
        _, _, response = fhir("GET", item["url"].split("/fhir/", 1)[1], token)
        files[item["type"]] = [json.loads(line) for line in
                               b"".join(response.streaming_content).decode().splitlines()]
    return files


def test_group_export_holds_the_patients_a_practitioner_has_seen(record, fhir, make_token,
                                                                 immediate_tasks):
    token = make_token(record.admin, record.clinic, scopes=(Scope.READ, Scope.EXPORT))
    group = record.practitioner_record.pk  # Alice had a session with them; Bruno none
    status, body, response = fhir("GET", f"Group/{group}/$export", token, **ASYNC)
    assert status == 202, body
    files = _lines(fhir, token, _manifest(fhir, token, response))
    assert [p["id"] for p in files["Patient"]] == [str(record.patient.pk)]
    assert {r["subject"]["reference"] for r in files["Condition"]} == {
        f"Patient/{record.patient.pk}"}
    job = BulkExport.objects.get()
    assert job.level == "group" and job.group_id == group
    assert job.request_url.endswith(f"/fhir/Group/{group}/$export")


def test_patient_level_export_holds_every_patient_and_only_their_compartment(
        record, fhir, make_token, immediate_tasks):
    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    status, body, response = fhir("GET", "Patient/$export", token, **ASYNC)
    assert status == 202, body
    counts = {o["type"]: o["count"] for o in _manifest(fhir, token, response)["output"]}
    assert counts["Patient"] == 2 and counts["Procedure"] == 1
    assert not {"Organization", "Practitioner", "PractitionerRole", "Location"} & set(counts)


def test_a_group_that_is_not_a_practitioner_of_the_clinic_is_404(record, fhir, make_token,
                                                                 immediate_tasks):
    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    elsewhere = make_practitioner(make_clinic("Other"))
    for group in (str(elsewhere.pk), "999999", "01", "abc"):
        status, body, _ = fhir("GET", f"Group/{group}/$export", token, **ASYNC)
        assert status == 404 and "Group" in body["issue"][0]["diagnostics"], group
    assert not BulkExport.objects.exists()


@pytest.mark.parametrize("path", ["$export", "Patient/$export", "GROUP"])
def test_since_is_honoured_at_every_level(record, fhir, make_token, immediate_tasks, path):
    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    path = path.replace("GROUP", f"Group/{record.practitioner_record.pk}/$export")
    fhir("GET", f"{path}?_type=Patient,Condition&_since=2999-01-01T00:00:00Z", token, **ASYNC)
    assert BulkExport.objects.latest("pk").output == []
    fhir("GET", f"{path}?_type=Patient,Condition&_since=2000-01-01T00:00:00Z", token, **ASYNC)
    assert {o["type"] for o in BulkExport.objects.latest("pk").output} == {"Patient",
                                                                           "Condition"}


@pytest.mark.parametrize("path", ["$export", "Patient/$export", "GROUP"])
def test_post_kick_off_reads_a_parameters_body(record, fhir, make_token, immediate_tasks,
                                               path):
    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    path = path.replace("GROUP", f"Group/{record.practitioner_record.pk}/$export")
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "_type", "valueString": "Patient,Condition"},
        {"name": "_since", "valueInstant": "2000-01-01T00:00:00Z"},
        {"name": "_outputFormat", "valueString": "application/fhir+ndjson"}]}
    status, outcome, _ = fhir("POST", path, token, body, **ASYNC)
    assert status == 202, outcome
    job = BulkExport.objects.latest("pk")
    assert job.types == ["Patient", "Condition"] and job.since.year == 2000


@pytest.mark.parametrize("body, words", [
    ({"resourceType": "Bundle", "type": "collection"}, "Parameters"),
    ({"resourceType": "Parameters", "parameter": [{"name": "patient",
                                                   "valueReference": {"reference": "Patient/1"}}]},
     "patient"),
    ({"resourceType": "Parameters", "parameter": [{"name": "_since", "valueString": "soon"}]},
     "_since"),
    ("not json", "JSON")])
def test_a_post_kick_off_it_cannot_honour_is_400(record, fhir, make_token, immediate_tasks,
                                                  body, words):
    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    status, outcome, _ = fhir("POST", "$export", token, body, **ASYNC)
    assert status == 400 and words in outcome["issue"][0]["diagnostics"], outcome
    assert not BulkExport.objects.exists()


def test_prefer_handling_lenient_is_accepted_and_says_what_it_ignored(record, fhir,
                                                                      make_token,
                                                                      immediate_tasks):
    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    lenient = {**ASYNC, "HTTP_PREFER": "respond-async, handling=lenient"}
    status, body, _ = fhir("GET", "$export?_type=Patient", token, **lenient)
    assert status == 202, body
    status, body, _ = fhir("GET", "$export?_type=Patient&_typeFilter=Patient%3Factive%3Dtrue",
                           token, **lenient)
    assert status == 202, body
    warnings = [i["diagnostics"] for i in body["issue"] if i["severity"] == "warning"]
    assert warnings and "_typeFilter" in warnings[0]
    # strict (the default) still refuses what it cannot honour
    status, body, _ = fhir("GET", "$export?_typeFilter=Patient%3Factive%3Dtrue", token,
                           **{**ASYNC, "HTTP_PREFER": "respond-async, handling=strict"})
    assert status == 400 and "_typeFilter" in body["issue"][0]["diagnostics"]
    status, body, _ = fhir("GET", "$export", token, **{**ASYNC, "HTTP_PREFER": "handling=lenient"})
    assert status == 400 and "respond-async" in body["issue"][0]["diagnostics"]


def test_the_capability_statement_declares_the_three_export_levels(client):
    statement = client.get("/fhir/metadata").json()
    rest = statement["rest"][0]
    base = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/"
    assert [o["definition"] for o in rest["operation"]] == [base + "export"]
    by_type = {r["type"]: r for r in rest["resource"]}
    assert base + "patient-export" in [o["definition"] for o in by_type["Patient"]["operation"]]
    group = by_type["Group"]
    assert [o["definition"] for o in group["operation"]] == [base + "group-export"]
    assert "practitioner" in group["documentation"]
    assert group["interaction"] == [{"code": "read"}] and "searchParam" not in group


def test_since_is_honoured_for_every_type(record, fhir, make_token, immediate_tasks):
    """Every exported type keeps when it last changed (Practitioner, PractitionerRole,
    Organization, Location and Coverage used to be sent whole, with a warning)."""
    from datetime import timedelta

    from django.utils import timezone

    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    status, body, response = fhir("GET", "$export?_since=2999-01-01T00:00:00Z", token, **ASYNC)
    assert status == 202
    assert not [i for i in body["issue"] if i["severity"] == "warning"]
    assert BulkExport.objects.get().output == []
    since = timezone.now()
    record.location.name = "Renamed"
    record.location.save()
    record.plan.copay = 20
    record.plan.save()
    query = f"$export?_since={(since - timedelta(microseconds=1)).isoformat()}"
    status, body, response = fhir("GET", query.replace("+00:00", "Z"), token, **ASYNC)
    lines = _lines(fhir, token, _manifest(fhir, token, response))
    assert {t: [r["id"] for r in rs] for t, rs in lines.items()} == {
        "Location": [str(record.location.pk)], "Coverage": [str(record.plan.pk)]}


@pytest.mark.parametrize("path", ["Patient/$export", "GROUP"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_level_needs_the_export_scope_and_an_admin_and_is_audited(
        record, fhir, make_token, immediate_tasks, path, method):
    from acuback.audit.models import AuditEvent

    path = path.replace("GROUP", f"Group/{record.practitioner_record.pk}/$export")
    body = {"resourceType": "Parameters"} if method == "POST" else None
    read_only = make_token(record.admin, record.clinic)
    assert fhir(method, path, read_only, body, **ASYNC)[0] == 403
    practitioner = make_token(record.practitioner, record.clinic, scopes=(Scope.EXPORT,))
    assert fhir(method, path, practitioner, body, **ASYNC)[0] == 403
    assert fhir(method, path, None, body, **ASYNC)[0] == 401
    assert not BulkExport.objects.exists()
    admin = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    assert fhir(method, path, admin, body, **ASYNC)[0] == 202
    event = AuditEvent.objects.filter(action="fhir.export.request").get()
    assert event.detail["level"] == ("patient" if path.startswith("Patient") else "group")


@pytest.mark.parametrize("path", ["Patient/$export", "Group/{group}/$export", "$export"])
def test_a_post_kick_off_with_a_token_needs_no_csrf_cookie(record, make_token, path):
    """A standard client POSTs with its token and no cookie: Patient- and Group-level
    kick-offs answered 403 "Form expired" (a CSRF refusal) where the system level worked."""
    from django.test import Client

    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    client = Client(enforce_csrf_checks=True)
    response = client.post("/fhir/" + path.format(group=record.practitioner_record.pk),
                           data=json.dumps({"resourceType": "Parameters"}),
                           content_type="application/fhir+json",
                           HTTP_AUTHORIZATION=f"Bearer {token}", **ASYNC)
    assert response.status_code == 202, response.content


def test_deleting_a_finished_export_removes_its_status_and_files(record, fhir, make_token,
                                                                 immediate_tasks):
    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    response = fhir("GET", "Patient/$export", token, **ASYNC)[2]
    manifest = _manifest(fhir, token, response)
    status_path = response["Content-Location"].split("/fhir/", 1)[1]
    file_path = manifest["output"][0]["url"].split("/fhir/", 1)[1]
    assert fhir("DELETE", status_path, token)[0] == 202
    assert fhir("GET", status_path, token)[0] == 404
    assert fhir("GET", file_path, token)[0] == 404
    assert not BulkExport.objects.get().parts.exists()


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT"])
def test_the_capability_statement_answers_get_only(fhir, method):
    assert fhir(method, "metadata")[0] == 405
