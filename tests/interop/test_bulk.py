"""System-level $export as the Bulk Data Access IG describes: kick-off, poll, download."""

from __future__ import annotations

import json

import pytest

from acuback.audit.models import AuditEvent
from acuback.interop import mapping
from acuback.interop.models import BulkExport, Scope


@pytest.fixture
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DATA_DIR = tmp_path


ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


def test_a_bulk_export_runs_and_every_line_validates(record, fhir, make_token,
                                                     immediate_tasks):
    token = make_token(record.admin, record.clinic, scopes=(Scope.READ, Scope.EXPORT))
    status, body, response = fhir("GET", "$export", token, **ASYNC)
    assert status == 202, body
    status_path = response["Content-Location"].split("/fhir/", 1)[1]
    status, manifest, _ = fhir("GET", status_path, token)
    assert status == 200 and manifest["requiresAccessToken"] is True
    counts = {o["type"]: o["count"] for o in manifest["output"]}
    assert counts["Patient"] == 2 and counts["Procedure"] == 1 and counts["Coverage"] == 1
    assert "Zimmer" not in json.dumps(manifest)  # the other clinic is not exported
    for item in manifest["output"]:
        status, _, response = fhir("GET", item["url"].split("/fhir/", 1)[1], token)
        assert status == 200 and response["Content-Type"] == "application/fhir+ndjson"
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert len(lines) == item["count"]
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == item["type"]
            mapping.validate(resource)
    assert AuditEvent.objects.filter(action="fhir.export.download").count() == len(counts)


def test_export_filters_by_type_and_since(record, fhir, make_token, immediate_tasks):
    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    _, _, response = fhir("GET", "$export?_type=Patient,Condition", token, **ASYNC)
    job = BulkExport.objects.latest("pk")
    assert job.types == ["Patient", "Condition"]
    assert [o["type"] for o in job.output] == ["Patient", "Condition"]
    fhir("GET", "$export?_type=Patient&_since=2999-01-01T00:00:00Z", token, **ASYNC)
    assert BulkExport.objects.latest("pk").output == []


def test_export_needs_the_export_scope_an_admin_and_the_async_header(record, fhir, make_token,
                                                                     immediate_tasks):
    read_only = make_token(record.admin, record.clinic)
    assert fhir("GET", "$export", read_only, **ASYNC)[0] == 403
    # a token made outside the page for a non-admin is still refused when used
    practitioner = make_token(record.practitioner, record.clinic, scopes=(Scope.EXPORT,))
    assert fhir("GET", "$export", practitioner, **ASYNC)[0] == 403
    admin = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    status, body, _ = fhir("GET", "$export", admin)
    assert status == 400 and "respond-async" in body["issue"][0]["diagnostics"]
    for query in ("$export?_type=Spaceship", "$export?_since=yesterday",
                  "$export?_outputFormat=text/csv", "$export?_elements=id"):
        status, body, _ = fhir("GET", query, admin, **ASYNC)
        assert status == 400 and body["resourceType"] == "OperationOutcome", query


def test_polling_while_running_cancelling_and_other_users_jobs(record, fhir, make_token,
                                                               settings, tmp_path):
    settings.DATA_DIR = tmp_path  # the database backend: the job waits for the worker
    admin = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    _, _, response = fhir("GET", "$export", admin, **ASYNC)
    status_path = response["Content-Location"].split("/fhir/", 1)[1]
    status, _, response = fhir("GET", status_path, admin)
    assert status == 202 and response["X-Progress"] == "queued"
    from tests.factories import make_user
    other_admin = make_user(record.clinic, "clinic_admin", "second_admin")
    other = make_token(other_admin, record.clinic, scopes=(Scope.EXPORT,))
    assert fhir("GET", status_path, other)[0] == 404  # one's own jobs only
    assert fhir("DELETE", status_path, admin)[0] == 202
    assert BulkExport.objects.get().status == "cancelled"
    assert fhir("GET", status_path, admin)[0] == 404


def test_the_worker_runs_a_queued_export(record, make_token, fhir, settings, tmp_path):
    from acuback.interop.services import export_run

    settings.DATA_DIR = tmp_path
    admin = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    fhir("GET", "$export?_type=Patient", admin, **ASYNC)
    job = export_run(BulkExport.objects.get())
    assert job.status == "done" and job.output[0]["count"] == 2
    # In the database, not on this node's disk: any web node serves it (issue #31 §5).
    assert job.parts.filter(file="Patient.ndjson").exists()
    assert not (tmp_path / "exports").exists()


def test_the_demo_clinic_exports_completely_and_every_line_validates(db, settings, tmp_path):
    from django.core.management import call_command

    from acuback.accounts.models import Clinic, User
    from acuback.interop.resources import KINDS
    from acuback.interop.services import export_file_lines, export_run

    settings.DATA_DIR = tmp_path
    from io import StringIO

    call_command("seed_demo", "--if-empty", stdout=StringIO())
    clinic = Clinic.objects.get(slug="riverside-demo")
    admin = User.objects.get(username="admin")
    job = export_run(BulkExport.objects.create(clinic=clinic, requested_by=admin,
                                               request_url="test", types=list(KINDS)))
    assert job.status == "done"
    counts = {o["type"]: o["count"] for o in job.output}
    assert counts["Patient"] >= 60 and counts["Procedure"] > 0 and counts["Observation"] > 0
    for item in job.output:
        lines = "".join(export_file_lines(job, item["file"])).splitlines()
        assert len(lines) == item["count"]
        for line in lines:
            mapping.validate(json.loads(line))
            assert "Harbor" not in line  # the demo's other clinic stays out


@pytest.mark.parametrize("query, words", [
    ("_since=9999-12-31T23:59:59-23:59", "_since"), ("_since=0001-01-01T00:00:00%2B14:00", "_since"),
    ("_since=%D9%A2%D9%A0%D9%A2%D9%A6-01-01T00:00:00Z", "_since"),
    ("_since=2026-01-01T00:00:00Z&_since=2025-01-01T00:00:00Z", "_since"),
    ("_outputFormat=ndjson&_outputFormat=application/ndjson", "_outputFormat")])
def test_export_parameters_that_cannot_be_honoured_are_400(record, fhir, make_token,
                                                            immediate_tasks, query, words):
    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    status, body, _ = fhir("GET", f"$export?{query}", token, **ASYNC)
    assert status == 400 and words in body["issue"][0]["diagnostics"], query
    assert not BulkExport.objects.exists()
