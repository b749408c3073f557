"""A bulk export on a full disk fails visibly and leaves no patient data half-written."""

from __future__ import annotations

import errno
import pathlib

import pytest

from acuback.interop.models import BulkExport, Scope

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

        def second_fails(job, kind):
            calls.append(kind)
            if len(calls) == 2:
                full()
            return real(job, kind)

        monkeypatch.setattr(services, "_export_kind", second_fails)
    with pytest.raises(OSError):
        services.export_run(BulkExport.objects.get())
    job = BulkExport.objects.get()
    assert job.status == "failed" and "No space left" in job.error  # not "running" for ever
    assert not list(tmp_path.rglob("*.ndjson"))
