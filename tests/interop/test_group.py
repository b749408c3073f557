"""GET Group/[id] (issue #30 §4): a practitioner's patients, as Group/[id]/$export reads
them, listing only the members the caller may see; versioned like every read."""

from __future__ import annotations

import pytest

from acuback.audit.models import AuditEvent
from acuback.patients.models import Patient
from tests.factories import make_patient
from tests.interop.official_schema import schema_errors


@pytest.fixture
def token(record, make_token):
    return make_token(record.admin, record.clinic)


def test_a_group_is_the_practitioners_patients(record, fhir, token):
    pk = record.practitioner_record.pk
    make_patient(record.clinic, given_name="Never", family_name="Seen")  # no visit with them
    status, group, response = fhir("GET", f"Group/{pk}", token)
    assert status == 200 and schema_errors(group) == []
    assert group["type"] == "person" and group["actual"] is True
    assert group["managingEntity"]["reference"] == f"Practitioner/{pk}"
    members = {m["entity"]["reference"] for m in group["member"]}
    assert members == {f"Patient/{record.patient.pk}"} and group["quantity"] == 1
    assert response["ETag"] == f'W/"{group["meta"]["versionId"]}"'
    assert fhir("GET", f"Group/{pk}", token, HTTP_IF_NONE_MATCH=response["ETag"])[0] == 304
    events = AuditEvent.objects.filter(action="fhir.read", target=f"Group:{pk}")
    assert [e.detail["patients"] for e in events] == [[record.patient.pk]] * 2  # 304 too


def test_the_members_are_those_the_caller_may_see(record, fhir, make_token):
    """Another clinic's token does not see the practitioner at all (404, as an unknown
    id); inside the clinic the members are those the Patient search would return."""
    from acuback.accounts.models import Practitioner
    outsider = make_token(record.outsider, Practitioner.objects.get(user=record.outsider).clinic)
    status, body, _ = fhir("GET", f"Group/{record.practitioner_record.pk}", outsider)
    assert status == 404 and body["resourceType"] == "OperationOutcome"
    token = make_token(record.admin, record.clinic)
    visible = set(Patient.objects.visible_to(record.admin).values_list("pk", flat=True))
    group = fhir("GET", f"Group/{record.practitioner_record.pk}", token)[1]
    assert {int(m["entity"]["reference"].split("/")[1]) for m in group["member"]} <= visible


def test_a_group_read_changes_version_when_a_member_joins(record, fhir, token):
    from tests.factories import make_appointment
    pk = record.practitioner_record.pk
    before = fhir("GET", f"Group/{pk}", token)[2]["ETag"]
    make_appointment(record, patient=record.other_patient)
    status, group, response = fhir("GET", f"Group/{pk}", token, HTTP_IF_NONE_MATCH=before)
    assert status == 200 and group["quantity"] == 2 and response["ETag"] != before


@pytest.mark.parametrize("path", ["Group/01", "Group/999999", "Group/%D9%A1", "Group/x"])
def test_a_group_that_is_not_a_practitioner_here_is_404(record, fhir, token, path):
    assert fhir("GET", path, token)[0] == 404


def test_groups_are_not_searched(record, fhir, token):
    status, body, _ = fhir("GET", "Group?_id=1", token)
    assert status == 400 and "Group" in body["issue"][0]["diagnostics"]
