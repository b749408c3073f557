"""Versioning (issue #30 §4): meta.versionId and meta.lastUpdated on every resource, from
when its row last changed; ETag on read and If-None-Match answered 304; _lastUpdated on
every type; every exported type keeps a time of change (Practitioner, Location,
Organization, Coverage, AdverseEvent and Consent used to keep none)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from acuback.accounts.models import Clinic, Credential, Location, Practitioner
from acuback.billing.models import CoveragePlan
from acuback.interop.resources import KINDS
from acuback.patients.models import Consent
from acuback.treatment.models import AdverseEvent, Session
from tests.factories import make_session, request_for
from tests.interop.official_schema import schema_errors


@pytest.fixture
def token(record, make_token):
    return make_token(record.admin, record.clinic)


def test_every_resource_read_or_searched_carries_its_version_and_last_update(record, fhir,
                                                                             token):
    for kind in KINDS.values():
        status, body, _ = fhir("GET", f"{kind.name}?_count=500", token)
        assert status == 200 and body["entry"], kind.name
        assert schema_errors(body) == []
        for entry in body["entry"]:
            resource = entry["resource"]
            row = kind.source().get(pk=resource["id"])
            updated = kind.updated(row)
            assert datetime.fromisoformat(resource["meta"]["lastUpdated"]) == updated
            assert resource["meta"]["versionId"]
            status, read, response = fhir("GET", f"{kind.name}/{resource['id']}", token)
            assert status == 200 and read["meta"] == resource["meta"], kind.name
            assert response["ETag"] == f'W/"{resource["meta"]["versionId"]}"'
            assert response["Last-Modified"]


def test_everything_carries_versions_too(record, fhir, token):
    body = fhir("GET", f"Patient/{record.patient.pk}/$everything", token)[1]
    assert all(e["resource"]["meta"]["versionId"] for e in body["entry"])
    assert schema_errors(body) == []


def test_if_none_match_with_the_current_version_is_304_and_a_change_is_200(record, fhir,
                                                                          token):
    path = f"Patient/{record.patient.pk}"
    _, body, response = fhir("GET", path, token)
    etag = response["ETag"]
    for header in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
        status, data, response = fhir("GET", path, token, HTTP_IF_NONE_MATCH=header)
        assert status == 304 and response.content == b"" and response["ETag"] == etag, header
    assert fhir("GET", path, token, HTTP_IF_NONE_MATCH='W/"1-abc"')[0] == 200
    record.patient.phone = "+1 555 0100"
    record.patient.save()
    status, changed, response = fhir("GET", path, token, HTTP_IF_NONE_MATCH=etag)
    assert status == 200 and response["ETag"] != etag
    assert changed["meta"]["versionId"] != body["meta"]["versionId"]
    assert changed["meta"]["lastUpdated"] > body["meta"]["lastUpdated"]


def test_a_read_refused_is_not_answered_304(record, fhir, make_token):
    """If-None-Match never confirms a record the caller may not read (the front desk sees
    no clinical record)."""
    desk = make_token(record.front_desk, record.clinic)
    status, _, _ = fhir("GET", f"Condition/{record.episode.pk}", desk, HTTP_IF_NONE_MATCH="*")
    assert status == 403  # refused as any read of a clinical type by the front desk


def test_a_resource_that_changes_without_its_row_changes_version(record, fhir, token):
    """A coverage that ended is sent 'cancelled' from the next day on: its version changes
    though its row did not, so a cached copy is never confirmed with 304."""
    path = f"Coverage/{record.plan.pk}"
    _, active, response = fhir("GET", path, token)
    CoveragePlan.objects.filter(pk=record.plan.pk).update(
        effective_from=timezone.localdate() - timedelta(days=30),
        effective_to=timezone.localdate() - timedelta(days=1),
        updated_at=record.plan.updated_at)  # the same row time, on purpose
    status, ended, _ = fhir("GET", path, token, HTTP_IF_NONE_MATCH=response["ETag"])
    assert status == 200 and ended["status"] == "cancelled"
    assert ended["meta"]["lastUpdated"] == active["meta"]["lastUpdated"]
    assert ended["meta"]["versionId"] != active["meta"]["versionId"]


@pytest.mark.parametrize("prefix, before, at, after", [
    ("eq", False, True, False), ("ge", False, True, True), ("gt", False, False, True),
    ("le", True, True, False), ("lt", True, False, False), ("ne", True, False, True)])
def test_last_updated_is_searched_with_its_prefixes_on_every_type(record, fhir, token, prefix,
                                                                  before, at, after):
    moment = datetime(2026, 3, 4, 10, 20, 30, tzinfo=UTC)
    expected = {"before": before, "at": at, "after": after}
    make_session(record.patient, record.practitioner_record, record.location,
                 episode=record.episode)  # a draft: a signed note's row never changes
    for kind in KINDS.values():
        model = kind.source().model
        rows = list(kind.scoped(record.admin, record.clinic.pk).exclude(**{"status": "signed"} if model is Session else {})
                    .values_list("pk", flat=True))
        assert rows, kind.name
        model.objects.filter(pk__in=rows).update(updated_at=moment + timedelta(days=30))
        shifted = {"at": rows[0]} | ({"before": rows[1]} if len(rows) > 1 else {})
        if len(rows) > 2 or len(rows) == 1:
            shifted["after"] = rows[-1] if len(rows) > 2 else None
        model.objects.filter(pk=shifted.get("before", 0)).update(
            updated_at=moment - timedelta(days=30))
        model.objects.filter(pk=shifted["at"]).update(updated_at=moment)
        query = f"{kind.name}?_lastUpdated={prefix}{quote('2026-03-04T10:20:30Z')}&_count=500"
        status, body, _ = fhir("GET", query, token)
        assert status == 200, (kind.name, body)
        found = {e["resource"]["id"] for e in body.get("entry", [])}
        for where, pk in shifted.items():
            if pk is not None:
                assert (str(pk) in found) is expected[where], (kind.name, prefix, where)


def test_the_capability_statement_declares_versioning_and_last_updated(fhir):
    metadata = fhir("GET", "metadata")[1]
    for entry in metadata["rest"][0]["resource"]:
        if entry["type"] == "Group":
            continue
        assert entry["versioning"] == "versioned" and entry["readHistory"] is False
        assert entry["conditionalRead"] == "not-match"
        assert "_lastUpdated" in {p["name"] for p in entry["searchParam"]}, entry["type"]
        assert "history-instance" not in {i["code"] for i in entry["interaction"]}


@pytest.mark.parametrize("model", [Clinic, Location, Practitioner, CoveragePlan, AdverseEvent,
                                   Consent])
def test_every_exported_type_keeps_when_it_last_changed(record, model):
    row = model.objects.order_by("pk").first()
    assert row.updated_at is not None
    before = row.updated_at
    model.objects.filter(pk=row.pk).update(updated_at=before - timedelta(days=1))
    row.refresh_from_db()
    if model is Consent:  # a signature is never saved again: it changes by withdrawal
        from acuback.patients.services import consent_withdraw
        consent_withdraw(consent=row, reason="changed mind", request=request_for(record.admin))
    else:
        row.save()
    row.refresh_from_db()
    assert row.updated_at > before


def test_a_new_credential_changes_its_practitioner(record):
    practitioner = record.practitioner_record
    Practitioner.objects.filter(pk=practitioner.pk).update(
        updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    Credential.objects.create(practitioner=practitioner, kind="licence", issuer="Board",
                              jurisdiction="US-OR", number="X1")
    practitioner.refresh_from_db()
    assert practitioner.updated_at > datetime(2026, 1, 2, tzinfo=UTC)
