"""Search result parameters (issue #30 §4): _sort, _elements, _summary, _total, POST
[type]/_search, and _include / _revinclude with the same visibility as a search of the
included type; the paging links carry every parameter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from acuback.patients.models import Patient
from acuback.treatment.models import Session
from tests.factories import make_episode, make_patient, make_session
from tests.interop.official_schema import schema_errors

SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
             "code": "SUBSETTED", "display": "subsetted"}


@pytest.fixture
def token(record, make_token):
    return make_token(record.admin, record.clinic)


def matches(body) -> list[dict]:
    return [e["resource"] for e in body.get("entry", []) if e["search"]["mode"] == "match"]


def included(body) -> list[dict]:
    return [e["resource"] for e in body.get("entry", []) if e["search"]["mode"] == "include"]


def links(body) -> dict[str, str]:
    return {x["relation"]: x["url"] for x in body["link"]}


# --- _sort ---------------------------------------------------------------------------------

def test_sort_by_birthdate_and_last_updated_both_ways(record, fhir, token):
    Patient.objects.filter(pk=record.patient.pk).update(
        date_of_birth=date(1950, 1, 1), updated_at=datetime(2026, 1, 2, tzinfo=UTC))
    Patient.objects.filter(pk=record.other_patient.pk).update(
        date_of_birth=date(1990, 1, 1), updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    old, young = str(record.patient.pk), str(record.other_patient.pk)
    cases = {"birthdate": [old, young], "-birthdate": [young, old],
             "_lastUpdated": [young, old], "-_lastUpdated": [old, young],
             "-_id": sorted([old, young], key=int, reverse=True)}
    for sort, expected in cases.items():
        status, body, _ = fhir("GET", f"Patient?_sort={sort}", token)
        assert status == 200 and [r["id"] for r in matches(body)] == expected, sort


def test_sort_by_date_pages_without_overlap(record, fhir, token):
    for day in range(5):
        session = make_session(record.patient, record.practitioner_record, record.location,
                               episode=record.episode)
        Session.objects.filter(pk=session.pk).update(
            session_date=date(2026, 1, 1) + timedelta(days=day % 2))
    seen, query = [], "Encounter?_sort=-date&_count=2"
    while query:
        body = fhir("GET", query, token)[1]
        seen += [r["id"] for r in matches(body)]
        nxt = links(body).get("next")
        if nxt:
            assert parse_qs(urlsplit(nxt).query)["_sort"] == ["-date"]
        query = nxt.split("/fhir/", 1)[1] if nxt else None
    assert len(seen) == len(set(seen)) == Session.objects.count()
    days = [Session.objects.get(pk=pk).session_date for pk in seen]
    assert days == sorted(days, reverse=True)


@pytest.mark.parametrize("query", ["Patient?_sort=family", "Patient?_sort=date",
                                   "Observation?_sort=code", "Patient?_sort=",
                                   "Patient?_sort=birthdate,-birthdate",
                                   "Patient?_sort=birthdate&_sort=_id", "Coverage?_sort=date"])
def test_an_unsortable_sort_is_400_naming_it(record, fhir, token, query):
    status, body, _ = fhir("GET", query, token)
    assert status == 400 and "_sort" in body["issue"][0]["diagnostics"], query


# --- _elements and _summary ----------------------------------------------------------------

def test_elements_keeps_what_is_asked_and_what_is_mandatory_tagged_subsetted(record, fhir,
                                                                            token):
    status, body, _ = fhir("GET", "Observation?_elements=subject,effective", token)
    assert status == 200 and schema_errors(body) == []
    for resource in matches(body):
        # code and status are mandatory in Observation (1..1); effective[x] by its base name
        assert set(resource) == {"resourceType", "id", "meta", "status", "code", "subject",
                                 "effectiveDateTime"}
        assert SUBSETTED in resource["meta"]["tag"]
    coverage = matches(fhir("GET", "Coverage?_elements=period", token)[1])[0]
    assert set(coverage) == {"resourceType", "id", "meta", "status", "beneficiary", "payor",
                             "period"}


def test_summary_true_keeps_the_summary_elements(record, fhir, token):
    body = fhir("GET", "Observation?_summary=true", token)[1]
    assert schema_errors(body) == []
    resource = matches(body)[0]
    assert "extension" not in resource and "derivedFrom" in resource and "code" in resource
    assert SUBSETTED in resource["meta"]["tag"]
    full = matches(fhir("GET", "Observation", token)[1])[0]
    assert "extension" in full and "tag" not in full["meta"]
    data = matches(fhir("GET", "Observation?_summary=data", token)[1])[0]
    assert {k: v for k, v in data.items() if k != "meta"} == \
        {k: v for k, v in full.items() if k != "meta"}


@pytest.mark.parametrize("query", ["Patient?_elements=nonsense", "Patient?_elements=name.family",
                                   "Patient?_elements=name&_summary=true",
                                   "Patient?_summary=text", "Patient?_elements=",
                                   "Patient?_elements=name,"])
def test_elements_and_summary_not_honoured_are_400(record, fhir, token, query):
    status, body, _ = fhir("GET", query, token)
    name = query.split("?")[1].split("=")[0]
    assert status == 400 and name in body["issue"][0]["diagnostics"], query


def test_total_estimate_is_the_exact_total(record, fhir, token):
    for value in ("estimate", "accurate"):
        assert fhir("GET", f"Patient?_total={value}", token)[1]["total"] == 2


# --- POST _search --------------------------------------------------------------------------

def test_post_search_answers_as_the_get(record, fhir, client, token):
    query = f"patient={record.patient.pk}&_sort=-date&_count=1&_elements=code"
    get = fhir("GET", f"Observation?{query}", token)[1]
    response = client.post("/fhir/Observation/_search", data=query,
                           content_type="application/x-www-form-urlencoded",
                           HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    import json
    post = json.loads(response.content)
    assert matches(post) == matches(get) and post["total"] == \
        get["total"]
    assert links(post)["next"] == links(get)["next"]
    assert parse_qs(urlsplit(links(post)["self"]).query)["patient"] == [str(record.patient.pk)]


def test_post_search_takes_url_parameters_too_and_refuses_what_get_refuses(record, client,
                                                                           token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    form = "application/x-www-form-urlencoded"
    response = client.post(f"/fhir/Condition/_search?patient={record.patient.pk}",
                           data="code=M54.50", content_type=form, **auth)
    assert response.status_code == 200 and response.json()["total"] == 1
    response = client.post("/fhir/Condition/_search", data="subject.name=x",
                           content_type=form, **auth)
    assert response.status_code == 400 and "subject.name" in response.content.decode()
    response = client.post("/fhir/Condition/_search", data='{"code": "x"}',
                           content_type="application/json", **auth)
    assert response.status_code == 415
    response = client.post("/fhir/Nothing/_search", data="", content_type=form, **auth)
    assert response.status_code == 400
    response = client.post("/fhir/Patient/_search", data="a=" + "x" * 70_000,
                           content_type=form, **auth)
    assert response.status_code == 413


def test_paging_links_carry_every_result_parameter(record, fhir, token):
    query = ("Observation?_sort=-_lastUpdated&_count=1&_elements=code&_include=Observation:"
             "patient&_total=none")
    body = fhir("GET", query, token)[1]
    nxt = parse_qs(urlsplit(links(body)["next"]).query)
    assert nxt["_sort"] == ["-_lastUpdated"] and nxt["_elements"] == ["code"]
    assert nxt["_include"] == ["Observation:patient"] and nxt["_total"] == ["none"]
    assert nxt["_offset"] == ["1"] and nxt["_count"] == ["1"]


# --- _include and _revinclude --------------------------------------------------------------

@pytest.mark.parametrize("query, included_type", [
    ("Observation?_include=Observation:patient", "Patient"),
    ("Observation?_include=Observation:subject:Patient", "Patient"),
    ("Condition?_include=Condition:subject", "Patient"),
    ("Encounter?_include=Encounter:patient", "Patient"),
    ("Procedure?_include=Procedure:subject", "Patient"),
    ("Encounter?_include=Encounter:practitioner", "Practitioner"),
    ("Encounter?_include=Encounter:participant", "Practitioner"),
    ("Procedure?_include=Procedure:performer", "Practitioner"),
    ("Appointment?_include=Appointment:practitioner", "Practitioner"),
    ("Coverage?_include=Coverage:beneficiary", "Patient")])
def test_include_adds_the_referenced_resources_once(record, fhir, token, query,
                                                     included_type):
    status, body, _ = fhir("GET", query, token)
    assert status == 200 and schema_errors(body) == []
    extra = included(body)
    assert extra and {r["resourceType"] for r in extra} == {included_type}
    assert len({r["id"] for r in extra}) == len(extra)
    assert body["total"] == len(matches(body))  # the total counts matches only


@pytest.mark.parametrize("revinclude, types", [
    ("Observation:patient", {"Observation"}), ("Condition:subject", {"Condition"}),
    ("Encounter:patient", {"Encounter"}), ("Coverage:beneficiary", {"Coverage"})])
def test_revinclude_adds_the_resources_that_refer_to_the_matches(record, fhir, token,
                                                                 revinclude, types):
    query = f"Patient?_id={record.patient.pk}&_revinclude={revinclude}"
    status, body, _ = fhir("GET", query, token)
    assert status == 200 and schema_errors(body) == []
    assert [r["id"] for r in matches(body)] == [str(record.patient.pk)]
    assert {r["resourceType"] for r in included(body)} == types
    type_name, param = revinclude.split(":")
    direct = fhir("GET", f"{type_name}?{param}={record.patient.pk}&_count=500", token)[1]
    assert {r["id"] for r in included(body)} == {r["id"] for r in matches(direct)}


def test_included_resources_obey_the_same_visibility_as_a_search(record, fhir, make_token):
    """The front desk sees patients but no clinical record: a revinclude of observations
    is refused as a search of observations is (403). A practitioner outside the care
    relationship gets no observation of a patient he does not treat."""
    desk = make_token(record.front_desk, record.clinic)
    assert fhir("GET", "Patient?_revinclude=Observation:patient", desk)[0] == 403
    assert fhir("GET", "Patient", desk)[0] == 200
    assert fhir("GET", "Observation", desk)[0] == 403
    from acuback.accounts.models import Role
    from tests.factories import make_practitioner, make_user
    stranger = make_user(record.clinic, Role.PRACTITIONER, "stranger")
    make_practitioner(record.clinic, stranger)
    theirs = make_token(stranger, record.clinic)
    body = fhir("GET", "Patient?_revinclude=Condition:subject&_revinclude=Observation:subject",
                theirs)[1]
    assert matches(body) and included(body) == []


def test_included_resources_are_audited_with_the_search(record, fhir, token):
    from acuback.audit.models import AuditEvent
    fhir("GET", "Encounter?_include=Encounter:patient", token)
    event = AuditEvent.objects.filter(action="fhir.search").latest("pk")
    assert event.detail["included"] == 1 and event.patient_id == record.patient.pk


@pytest.mark.parametrize("query", [
    "Observation?_include=Observation:code", "Observation?_include=Patient:organization",
    "Observation?_include=Condition:subject", "Observation?_include=*",
    "Observation?_include=Observation:subject:Group", "Observation?_include:iterate=Observation:patient",
    "Observation?_include=Observation", "Patient?_revinclude=Observation:code",
    "Patient?_revinclude=Encounter:practitioner", "Patient?_revinclude=Nothing:patient",
    "Patient?_revinclude=", "Patient?_include=Patient:organization"])
def test_an_include_not_honoured_is_400_naming_it(record, fhir, token, query):
    status, body, _ = fhir("GET", query, token)
    name = query.split("?")[1].split("=")[0].split(":")[0]
    assert status == 400 and name in body["issue"][0]["diagnostics"], (query, body)


def test_the_capability_statement_declares_the_includes_it_honours(fhir, record, token):
    metadata = fhir("GET", "metadata")[1]
    by_type = {r["type"]: r for r in metadata["rest"][0]["resource"]}
    assert "Observation:patient" in by_type["Observation"]["searchInclude"]
    assert "Encounter:practitioner" in by_type["Encounter"]["searchInclude"]
    assert {"Observation:patient", "Condition:subject"} <= set(
        by_type["Patient"]["searchRevInclude"])
    for entry in metadata["rest"][0]["resource"]:  # each one declared is honoured
        for value in entry.get("searchInclude", []):
            assert fhir("GET", f"{entry['type']}?_include={value}", token)[0] == 200, value
        for value in entry.get("searchRevInclude", []):
            assert fhir("GET", f"{entry['type']}?_revinclude={value}", token)[0] == 200, value
    names = {p["name"] for p in metadata["rest"][0]["searchParam"]}
    assert {"_sort", "_elements", "_include", "_revinclude", "_summary", "_total"} <= names


def test_includes_cost_a_bounded_number_of_queries(record, fhir, token):
    """One query per _include whatever the page size: 3 patients or 30 cost the same."""
    def cost():
        with CaptureQueriesContext(connection) as queries:
            status, body, _ = fhir("GET", "Condition?_include=Condition:subject&_count=100",
                                   token)
        assert status == 200
        return len(queries), len(included(body))

    few, n_few = cost()
    for n in range(10):
        patient = make_patient(record.clinic, given_name=f"P{n}", family_name="Many")
        make_episode(patient, record.practitioner)
    many, n_many = cost()
    assert n_many == n_few + 10 and many <= few  # (one patient costs one more: the audit)
