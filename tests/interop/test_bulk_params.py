"""Bulk Data endpoints refuse what they do not honour (issue #30 re-test): parameters on
the status and file URLs, an empty _type or _since, and an id not written canonically."""

from __future__ import annotations

import pytest

from acuback.interop.models import BulkExport, Scope

ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DATA_DIR = tmp_path


@pytest.fixture
def export_token(record, make_token):
    return make_token(record.admin, record.clinic, scopes=(Scope.READ, Scope.EXPORT))


@pytest.fixture
def job(record, fhir, export_token, immediate_tasks):
    status, _, _ = fhir("GET", "$export?_type=Patient", export_token, **ASYNC)
    assert status == 202
    return BulkExport.objects.latest("pk")


@pytest.mark.parametrize("query", ["_type=", "_type=Patient,", "_type=,Patient", "_since=",
                                   "_type=Patient&_type=", "_outputFormat="])
def test_an_empty_export_parameter_is_400_naming_it(record, fhir, export_token,
                                                    immediate_tasks, query):
    status, body, _ = fhir("GET", f"$export?{query}", export_token, **ASYNC)
    assert status == 400, query
    assert query.split("=")[0] in body["issue"][0]["diagnostics"], query
    assert not BulkExport.objects.exists()


@pytest.mark.parametrize("suffix", ["?foo=1", "?_format=xml", "?_type=Patient", "?_count=1"])
def test_the_status_and_file_urls_refuse_parameters(job, fhir, export_token, suffix):
    for path in (f"bulk-status/{job.pk}", f"bulk-files/{job.pk}/Patient.ndjson"):
        status, body, _ = fhir("GET", path + suffix, export_token)
        assert status == 400, path + suffix
        assert suffix[1:].split("=")[0] in body["issue"][0]["diagnostics"]
    status, _, _ = fhir("DELETE", f"bulk-status/{job.pk}?foo=1", export_token)
    assert status == 400
    assert fhir("GET", f"bulk-status/{job.pk}?_format=json", export_token)[0] == 200
    assert fhir("GET", f"bulk-status/{job.pk}", export_token)[0] == 200


def test_an_export_id_with_a_leading_zero_names_no_job(job, fhir, export_token):
    for path in (f"bulk-status/0{job.pk}", f"bulk-files/0{job.pk}/Patient.ndjson"):
        assert fhir("GET", path, export_token)[0] == 404, path
    assert fhir("GET", f"bulk-files/{job.pk}/Patient.ndjson", export_token)[0] == 200
