"""One stored record the mapper cannot express (a coverage with priority 0, which the
admin form accepted) is left out with a warning and reported for a person to fix; it
never breaks the rest of a search, $everything, the portal download or an export
(issue #30 §2)."""

from __future__ import annotations

import json

import pytest

from acuback.billing.models import CoveragePlan, Payer
from acuback.interop import mapping
from acuback.interop.models import Scope, UnexpressibleRecord
from tests.interop.test_bulk import ASYNC, immediate_tasks  # noqa: F401 - a fixture

INTERNALS = ("pydantic", "errors.pydantic.dev", "type=", "input_value", "greater_than")


@pytest.fixture
def bad_plan(record):
    payer = Payer.objects.create(clinic=record.clinic, name="Aetna", kind="commercial")
    plan = CoveragePlan.objects.create(patient=record.patient, payer=payer, member_id="W1",
                                       effective_from=record.plan.effective_from, priority=0)
    return plan


@pytest.fixture
def token(record, make_token):
    return make_token(record.admin, record.clinic, scopes=(Scope.READ, Scope.EXPORT))


def warnings_of(bundle) -> list[dict]:
    return [issue for e in bundle["entry"] if e.get("search", {}).get("mode") == "outcome"
            for issue in e["resource"]["issue"]]


def test_a_search_leaves_the_record_out_with_a_warning(record, bad_plan, fhir, token):
    status, body, response = fhir("GET", "Coverage", token)
    assert status == 200
    mapping.validate(body)
    sent = {e["resource"]["id"] for e in body["entry"]
            if e["resource"]["resourceType"] == "Coverage"}
    assert sent == {str(record.plan.pk)}
    [warning] = warnings_of(body)
    assert warning["severity"] == "warning" and warning["expression"] == ["Coverage.order"]
    assert f"Coverage/{bad_plan.pk}" in warning["diagnostics"]
    assert not any(word in response.content.decode() for word in INTERNALS)
    report = UnexpressibleRecord.objects.get(resource_type="Coverage", record_id=bad_plan.pk)
    assert report.clinic_id == record.clinic.pk and "Coverage.order" in report.problem


def test_everything_and_the_portal_download_still_answer(record, bad_plan, fhir, token, login):
    status, body, _ = fhir("GET", f"Patient/{record.patient.pk}/$everything", token)
    assert status == 200
    mapping.validate(body)
    assert {"Patient", "Condition", "Coverage"} <= {e["resource"]["resourceType"]
                                                     for e in body["entry"]}
    assert len(warnings_of(body)) == 1
    response = login(record.patient_user).get("/portal/record.fhir.json")
    assert response.status_code == 200
    assert len(warnings_of(json.loads(response.content))) == 1


def test_reading_the_record_itself_is_an_operation_outcome_not_a_500(bad_plan, fhir, token):
    status, body, _ = fhir("GET", f"Coverage/{bad_plan.pk}", token)
    assert status == 422 and body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["expression"] == ["Coverage.order"]


def test_a_bulk_export_finishes_and_lists_the_record_as_an_error(record, bad_plan, fhir, token,
                                                                 immediate_tasks):  # noqa: F811
    status, _, response = fhir("GET", "$export", token, **ASYNC)
    assert status == 202
    status, manifest, _ = fhir("GET", response["Content-Location"].split("/fhir/", 1)[1],
                               token)
    assert status == 200, manifest
    counts = {o["type"]: o["count"] for o in manifest["output"]}
    assert counts["Coverage"] == 1 and counts["Patient"] == 2
    [error] = manifest["error"]
    assert error["type"] == "OperationOutcome" and error["count"] == 1
    _, _, response = fhir("GET", error["url"].split("/fhir/", 1)[1], token)
    text = b"".join(response.streaming_content).decode()
    outcome = json.loads(text)
    mapping.validate(outcome)
    assert f"Coverage/{bad_plan.pk}" in outcome["issue"][0]["diagnostics"]
    assert not any(word in text for word in INTERNALS)


def test_the_clinic_admin_sees_the_record_until_it_is_corrected(record, bad_plan, fhir, token,
                                                                login):
    fhir("GET", "Coverage", token)
    page = login(record.admin).get("/settings/api-tokens/")
    assert page.status_code == 200 and f"Coverage/{bad_plan.pk}" in page.content.decode()
    CoveragePlan.objects.filter(pk=bad_plan.pk).update(priority=2)
    page = login(record.admin).get("/settings/api-tokens/")
    assert f"Coverage/{bad_plan.pk}" not in page.content.decode()
    assert not UnexpressibleRecord.objects.exists()
    body = fhir("GET", "Coverage", token)[1]
    assert len(body["entry"]) == 2 and not warnings_of(body)
