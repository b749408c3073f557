"""Ids are ASCII digits within a 64-bit key; numbers in the query string are ASCII digits
of a bounded length. Anything else is a 404 or a 400, never another resource or a 500
(issue #30 §2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.interop.models import Scope
from acuback.interop.search import row_id

TWENTY_DIGITS = "9" * 20


@pytest.fixture
def token(record, make_token):
    return make_token(record.admin, record.clinic, scopes=(Scope.READ, Scope.EXPORT))


@pytest.mark.parametrize("path", [
    "Patient/%C2%B2", "Patient/%D9%A1", "Patient/%EF%BC%91", f"Patient/{TWENTY_DIGITS}",
    "Patient/%C2%B2/$everything", "Patient/%D9%A1/$everything",
    f"Patient/{TWENTY_DIGITS}/$everything", f"Condition/{TWENTY_DIGITS}",
    f"bulk-status/{TWENTY_DIGITS}", f"bulk-files/{TWENTY_DIGITS}/Patient.ndjson",
    "Patient/0", "Patient/-1", "Patient/+1", "Patient/1.0"])
def test_an_id_that_is_not_ascii_digits_in_range_is_not_found(record, fhir, token, path):
    status, body, _ = fhir("GET", path, token)
    assert status == 404, path
    assert body["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("query", [
    "Patient?_count=%C2%B2", "Patient?_count=%D9%A1", f"Patient?_offset={TWENTY_DIGITS}",
    f"Patient?_count={TWENTY_DIGITS}", "Patient?_offset=1e3", "Patient?_count=%EF%BC%95",
    "Condition?patient=Patient/%D9%A1", "Patient?_id=%C2%B2", "Encounter?date=%D9%A2%D9%A0%D9%A2%D9%A6"])
def test_numbers_in_the_query_are_ascii_digits_of_bounded_length(record, fhir, token, query):
    status, body, _ = fhir("GET", query, token)
    assert status == 400, query
    name = query.split("?", 1)[1].split("=", 1)[0]
    assert name in body["issue"][0]["diagnostics"], query


@pytest.mark.parametrize("query", [
    f"Patient?_id={TWENTY_DIGITS}", f"Condition?patient={TWENTY_DIGITS}",
    f"Condition?subject:Patient={TWENTY_DIGITS}", "Patient?_id=abc",
    f"PractitionerRole?practitioner=Practitioner/{TWENTY_DIGITS}"])
def test_an_id_that_names_no_row_matches_nothing(record, fhir, token, query):
    status, body, _ = fhir("GET", query, token)
    assert status == 200 and body["total"] == 0, query


def test_an_offset_past_the_end_is_an_empty_page_that_points_back(record, fhir, token):
    status, body, _ = fhir("GET", "Patient?_offset=999999999999999999", token)
    assert status == 200 and body["total"] == 2 and not body.get("entry")
    links = {x["relation"]: x["url"] for x in body["link"]}
    assert "next" not in links and "_offset=0" in links["previous"]


@given(st.text(max_size=30))
def test_row_id_accepts_only_ascii_digits_within_a_64_bit_key(text):
    number = row_id(text)
    if number is not None:
        assert text.isascii() and text.isdigit() and 0 < int(text) < 2**63
        assert number == int(text)
    elif text.isascii() and text.isdigit() and 0 < int(text) < 2**63:
        assert len(text) > 64  # beyond FHIR's id length
