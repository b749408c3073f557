"""Bulk-export files hold patient data: none half-written on a full disk, none kept past
ACUBACK_EXPORT_KEEP_DAYS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from acuback.interop.models import BulkExport, BulkExportPart, Scope
from acuback.web import housekeeping

ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


def test_an_export_that_fails_midway_keeps_no_file(record, make_token, fhir, monkeypatch):
    """A failure after the first file was written (a full database disk, a lost
    connection): the job says it failed and none of its patient data is kept."""
    from django.db import OperationalError

    from acuback.interop import services

    admin = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    fhir("GET", "$export?_type=Patient,Practitioner", admin, **ASYNC)
    real, calls = services._export_kind, []

    def second_fails(job, kind, issues):
        calls.append(kind)
        if len(calls) == 2:
            raise OperationalError("could not extend file: No space left on device")
        return real(job, kind, issues)

    monkeypatch.setattr(services, "_export_kind", second_fails)
    with pytest.raises(OperationalError):
        services.export_run(BulkExport.objects.get())
    job = BulkExport.objects.get()
    assert job.status == "failed" and "internal error" in job.error  # not "running" for ever
    assert not BulkExportPart.objects.filter(export=job).exists()


def test_a_file_is_written_in_parts_and_read_back_whole(record, make_token, fhir,
                                                        monkeypatch):
    from acuback.interop import services

    monkeypatch.setattr(services._PartWriter, "PART_CHARS", 200)  # several parts
    admin = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    fhir("GET", "$export?_type=Patient", admin, **ASYNC)
    job = services.export_run(BulkExport.objects.get())
    [item] = job.output
    parts = BulkExportPart.objects.filter(export=job, file=item["file"])
    assert parts.count() > 1 and all(p.lines.endswith("\n") for p in parts)
    status, body = fhir("GET", f"bulk-files/{job.pk}/{item['file']}", admin)[:2]
    assert status == 200
    assert "".join(services.export_file_lines(job, item["file"])).count("\n") == item["count"]


@pytest.fixture
def exports(record, make_token, fhir, settings):
    from acuback.interop.services import export_run

    settings.ACUBACK_EXPORT_KEEP_DAYS = 7
    token = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    for _ in range(2):
        fhir("GET", "$export?_type=Patient", token, **ASYNC)
    old, recent = (export_run(job) for job in BulkExport.objects.order_by("pk"))
    BulkExport.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    fhir("GET", "$export?_type=Patient", token, **ASYNC)
    running = BulkExport.objects.get(status="queued")
    BulkExport.objects.filter(pk=running.pk).update(
        status="running", created_at=timezone.now() - timedelta(days=30))
    return old, recent, running, token


def test_export_files_are_removed_after_the_kept_days(exports, fhir):
    old, recent, running, token = exports
    assert old.parts.exists()
    assert housekeeping.prune(timezone.now())["export_folders"] == 1
    assert not old.parts.exists()
    assert recent.parts.exists()
    # The job's record stays (the audit names it); asking for its files says they are gone.
    status, body = fhir("GET", f"bulk-status/{old.pk}", token)[:2]
    assert status == 404 and "removed" in str(body)
    assert fhir("GET", f"bulk-files/{old.pk}/Patient.ndjson", token)[0] == 404
    assert fhir("GET", f"bulk-files/{recent.pk}/Patient.ndjson", token)[0] == 200
