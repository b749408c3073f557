"""FHIR search answers exactly or refuses (issue #30 re-test): value counts within what
both databases can run, partial stored dates compared as ranges, the precision of a value
honoured, one canonical form of an id, case-sensitive codes, result parameters in range,
and a total that counts only what can be sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from acuback.billing.models import CoveragePlan
from acuback.interop.resources import KINDS
from acuback.interop.search import MAX_OR_VALUES, MAX_VALUES
from acuback.outcomes.models import QuestionnaireResponse
from acuback.patients.models import EpisodeOfCare


@pytest.fixture
def token(record, make_token):
    return make_token(record.admin, record.clinic)


def ids(body) -> set[str]:
    return {e["resource"]["id"] for e in body.get("entry", []) if e["search"]["mode"] == "match"}


SAMPLE = {"token": "M54.50", "string": "Arch", "date": "ge2026-01-01", "reference": "1"}


# --- 1. how many values one request may carry ----------------------------------------------

def _values(param_type: str, n: int) -> str:
    if param_type in ("reference", "token"):
        return ",".join(str(i) for i in range(1, n + 1))
    if param_type == "date":
        return ",".join(f"ge2026-01-{1 + i % 28:02d}" for i in range(n))
    return ",".join(f"a{i}" for i in range(n))


def test_every_parameter_at_the_maximum_number_of_values_answers(record, fhir, token):
    """The most a request may carry, on the parameter that costs the most SQL, answers
    (SQLite's expression depth and PostgreSQL's bound variables are not reached)."""
    for kind in KINDS.values():
        for param in kind.params.values():
            for modifier in ("", *(f":{m}" for m in param.modifiers if m == "not")):
                query = f"{kind.name}?{param.name}{modifier}={_values(param.type, MAX_OR_VALUES)}"
                status, body, _ = fhir("GET", query, token)
                assert status == 200, (query[:60], body)
    # the whole request's allowance spread over the widest string parameters
    half = MAX_VALUES // 2
    status, _, _ = fhir("GET", f"Patient?name={_values('string', min(half, MAX_OR_VALUES))}"
                               f"&given={_values('string', min(half, MAX_OR_VALUES))}", token)
    assert status == 200


@pytest.mark.parametrize("query", [
    "Patient?_id={many}", "Patient?_id:not={many}", "Patient?name={words}",
    "Condition?code={many}", "Condition?code:not={many}", "Condition?patient={many}",
    "Observation?patient={many}", "Practitioner?name={words}",
    "PractitionerRole?practitioner={many}", "Coverage?beneficiary={many}",
    "Encounter?date={dates}"])
def test_more_values_than_allowed_for_one_parameter_is_400_naming_it(record, fhir, token,
                                                                      query):
    n = MAX_OR_VALUES + 1
    query = query.format(many=_values("token", n), words=_values("string", n),
                         dates=_values("date", n))
    status, body, _ = fhir("GET", query, token)
    assert status == 400
    name = query.split("?")[1].split("=")[0]
    assert name in body["issue"][0]["diagnostics"]
    # and far above it (the integrator's ~1,000) too
    status, _, _ = fhir("GET", query.split("=")[0] + "=" + _values("token", 997), token)
    assert status == 400


def test_more_values_than_allowed_in_one_request_is_400(record, fhir, token):
    per = MAX_VALUES // 3 + 1
    assert per <= MAX_OR_VALUES
    query = "Patient?" + "&".join(f"{name}={_values('string', per)}"
                                  for name in ("family", "given", "name"))
    status, body, _ = fhir("GET", query, token)
    assert status == 400 and str(MAX_VALUES) in body["issue"][0]["diagnostics"]


def test_too_many_values_from_a_browser_session_is_400_too(record, fhir, client):
    client.force_login(record.admin)
    status, body, _ = fhir("GET", f"Patient?_id={_values('token', 997)}")
    assert status == 400 and "_id" in body["issue"][0]["diagnostics"]


# --- 2. a stored partial date is the whole month or year -----------------------------------

@pytest.mark.parametrize("value, matches", [
    ("eq2024-05-01", False), ("eq2024-05", True), ("eq2024", True), ("ne2024-05-01", True),
    ("ne2024-05", False), ("gt2024-05-15", True), ("ge2024-05-15", True),
    ("le2024-05-01", False), ("le2024-05-31", True), ("le2024-06", True),
    ("lt2024-05-01", False), ("lt2024-05-02", True),
    ("le2024-04-30", False), ("gt2024-05-31", False), ("ge2024-06-01", False),
    ("sa2024-04-30", True), ("sa2024-05-01", False), ("eb2024-06-01", True),
    ("eb2024-05-31", False), ("eq2024-05-01T10:00:00Z", False)])
def test_a_recorded_date_of_month_precision_is_searched_as_the_whole_month(
        record, fhir, token, value, matches):
    EpisodeOfCare.objects.filter(pk=record.episode.pk).update(
        opened_on="2024-05-01", date_precision={"opened_on": "month"})
    status, body, _ = fhir("GET", f"Condition?recorded-date={quote(value)}", token)
    assert status == 200
    assert (str(record.episode.pk) in ids(body)) is matches, value


@pytest.mark.parametrize("value, matches", [
    ("eq2024-01-01", False), ("eq2024", True), ("gt2024-12-30", True), ("le2024-01-01", False),
    ("lt2024-01-01", False), ("ne2024-06", True), ("eb2025-01-01", True), ("eb2024-12-31", False)])
def test_a_recorded_date_of_year_precision_is_searched_as_the_whole_year(
        record, fhir, token, value, matches):
    EpisodeOfCare.objects.filter(pk=record.episode.pk).update(
        opened_on="2024-01-01", date_precision={"opened_on": "year"})
    status, body, _ = fhir("GET", f"Condition?recorded-date={quote(value)}", token)
    assert status == 200
    assert (str(record.episode.pk) in ids(body)) is matches, value


def test_a_full_recorded_date_is_still_one_day(record, fhir, token):
    EpisodeOfCare.objects.filter(pk=record.episode.pk).update(opened_on="2024-05-01",
                                                              date_precision={})
    pk = str(record.episode.pk)
    assert pk in ids(fhir("GET", "Condition?recorded-date=eq2024-05-01", token)[1])
    assert pk not in ids(fhir("GET", "Condition?recorded-date=gt2024-05-15", token)[1])


# --- 3. the precision of a search value ----------------------------------------------------

def test_fractional_seconds_are_the_range_of_the_value(record, fhir, token):
    moment = datetime(2026, 10, 26, 16, 40, 0, tzinfo=UTC)
    QuestionnaireResponse.objects.filter(pk=record.odi.pk).update(submitted_at=moment)
    QuestionnaireResponse.objects.filter(pk=record.nrs.pk).update(
        submitted_at=moment + timedelta(milliseconds=500))
    odi, nrs = str(record.odi.pk), str(record.nrs.pk)
    cases = {"2026-10-26T16:40:00Z": {odi, nrs}, "2026-10-26T16:40:00.5Z": {nrs},
             "2026-10-26T16:40:00.0Z": {odi}, "lt2026-10-26T16:40:00.5Z": {odi},
             "ge2026-10-26T16:40:00.5Z": {nrs}, "2026-10-26T16:40:00.500Z": {nrs},
             "2026-10-26T16:40:00.123456Z": set()}
    for value, expected in cases.items():
        status, body, _ = fhir("GET", f"Observation?date={quote(value)}", token)
        assert status == 200 and ids(body) == expected, value


def test_a_precision_finer_than_a_microsecond_is_refused(record, fhir, token):
    status, body, _ = fhir("GET", "Observation?date=2026-10-26T16:40:00.1234567Z", token)
    assert status == 400 and "date" in body["issue"][0]["diagnostics"]


# --- 4. one canonical form of an id --------------------------------------------------------

def test_an_id_with_leading_zeros_names_no_record(record, fhir, token):
    pid = record.patient.pk
    assert fhir("GET", f"Patient/{pid}", token)[0] == 200
    for path in (f"Patient/0{pid}", f"Patient/00{pid}", f"Patient/0{pid}/$everything",
                 f"Condition/0{record.episode.pk}"):
        status, body, _ = fhir("GET", path, token)
        assert status == 404, path
    for query in (f"Patient?_id=0{pid}", f"Condition?patient=Patient/0{pid}",
                  f"Condition?subject=0{pid}", f"Coverage?beneficiary=0{pid}"):
        status, body, _ = fhir("GET", query, token)
        assert status == 200 and ids(body) == set(), query
    status, body, _ = fhir("GET", f"Patient?_id:not=0{pid}", token)
    assert str(pid) in ids(body)


# --- 5. codes are matched exactly ----------------------------------------------------------

def test_every_token_parameter_matches_codes_with_their_case(record, fhir, token):
    pairs = {"Condition?code=": "M54.50", "Observation?code=": "nrs",
             "Observation?code=http://loinc.org|": "97909-6",
             "Patient?identifier=": record.patient.mrn}
    for prefix, code in pairs.items():
        assert ids(fhir("GET", prefix + quote(code), token)[1]), prefix + code
        for other in {code.lower(), code.upper()} - {code}:
            assert ids(fhir("GET", prefix + quote(other), token)[1]) == set(), prefix + other
    everyone = {str(e.pk) for e in EpisodeOfCare.objects.all()}
    assert ids(fhir("GET", "Condition?code:not=m54.50", token)[1]) == everyone


# --- 6. result parameters out of range, and parameters other interactions ignore -----------

@pytest.mark.parametrize("query", ["Patient?_count=501", "Patient?_count=1000000"])
def test_a_count_above_the_maximum_is_refused(record, fhir, token, query):
    status, body, _ = fhir("GET", query, token)
    assert status == 400 and "_count" in body["issue"][0]["diagnostics"]
    assert fhir("GET", "Patient?_count=500", token)[0] == 200


# --- 7. the total counts what is sent ------------------------------------------------------

def test_the_total_leaves_out_a_record_that_cannot_be_expressed(record, fhir, token):
    CoveragePlan.objects.filter(pk=record.plan.pk).update(priority=0)
    for query in (f"Coverage?patient={record.patient.pk}", "Coverage?_count=0",
                  "Coverage?_summary=count", f"Coverage?patient={record.patient.pk}"):
        status, body, _ = fhir("GET", query, token)
        assert status == 200 and body["total"] == 0, query
    CoveragePlan.objects.filter(pk=record.plan.pk).update(priority=1)  # corrected
    for query in ("Coverage?_count=0", f"Coverage?patient={record.patient.pk}"):
        status, body, _ = fhir("GET", query, token)
        assert body["total"] == 1, query


def test_a_search_page_stays_within_its_query_budget(record, fhir, token):
    with CaptureQueriesContext(connection) as queries:
        status, _, _ = fhir("GET", "Coverage?_count=5", token)
    assert status == 200 and len(queries) <= 12
