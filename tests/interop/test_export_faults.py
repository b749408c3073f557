"""Bulk-export files hold patient data: none half-written on a full disk, none kept past
ACUBACK_EXPORT_KEEP_DAYS."""

from __future__ import annotations

import errno
import pathlib
from datetime import timedelta

import pytest
from django.utils import timezone

from acuback.interop.models import BulkExport, Scope
from acuback.web import housekeeping

ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.mark.parametrize("fault", ["mkdir", "write"])
def test_an_export_on_a_full_disk_fails_and_keeps_no_file(record, make_token, fhir, settings,
                                                          tmp_path, monkeypatch, fault):
    from acuback.interop import services

    settings.DATA_DIR = tmp_path
    admin = make_token(record.admin, record.clinic, scopes=(Scope.EXPORT,))
    fhir("GET", "$export?_type=Patient,Practitioner", admin, **ASYNC)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    if fault == "mkdir":
        monkeypatch.setattr(pathlib.Path, "mkdir", full)
    else:
        real = services._export_kind
        calls = []

        def second_fails(job, kind, issues):
            calls.append(kind)
            if len(calls) == 2:
                full()
            return real(job, kind, issues)

        monkeypatch.setattr(services, "_export_kind", second_fails)
    with pytest.raises(OSError):
        services.export_run(BulkExport.objects.get())
    job = BulkExport.objects.get()
    assert job.status == "failed" and "No space left" in job.error  # not "running" for ever
    assert not list(tmp_path.rglob("*.ndjson"))


@pytest.fixture
def exports(record, make_token, fhir, settings, tmp_path):
    from acuback.interop.services import export_run

    settings.DATA_DIR = tmp_path
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
    running.directory.mkdir(parents=True)
    return old, recent, running, token


def test_export_files_are_removed_after_the_kept_days(exports, fhir):
    old, recent, running, token = exports
    assert old.directory.exists()
    assert housekeeping.prune(timezone.now())["export_folders"] == 1
    assert not old.directory.exists()
    assert recent.directory.exists() and running.directory.exists()
    # The job's record stays (the audit names it); asking for its files says they are gone.
    status, body = fhir("GET", f"bulk-status/{old.pk}", token)[:2]
    assert status == 404 and "removed" in str(body)
    assert fhir("GET", f"bulk-files/{old.pk}/Patient.ndjson", token)[0] == 404
    assert fhir("GET", f"bulk-files/{recent.pk}/Patient.ndjson", token)[0] == 200
