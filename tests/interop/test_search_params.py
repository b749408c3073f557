"""FHIR search: every parameter, modifier, prefix and result parameter is honoured exactly
as the specification defines it, or refused with a 400 naming it (issue #30 §1)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuback.interop import mapping
from acuback.interop.resources import KINDS
from acuback.interop.search import FHIR_MODIFIERS, FHIR_PREFIXES, split_or
from tests.factories import clinic_today, make_episode


@pytest.fixture
def two_patients(record):
    """Alice (the record) and Bruno, each with an episode of care."""
    record.other_episode = make_episode(record.other_patient, record.practitioner,
                                        diagnosis_codes=["M54.50"])
    return record


@pytest.fixture
def token(record, make_token):
    return make_token(record.admin, record.clinic)


def ids(body) -> set[str]:
    return {e["resource"]["id"] for e in body.get("entry", [])}


def test_subject_with_the_patient_type_modifier_returns_only_that_patient(two_patients, fhir,
                                                                          token):
    pid = two_patients.patient.pk
    for query in (f"Condition?subject:Patient={pid}", f"Condition?patient:Patient={pid}",
                  f"Condition?subject=Patient/{pid}"):
        status, body, _ = fhir("GET", query, token)
        assert status == 200, query
        assert ids(body) == {str(two_patients.episode.pk)}, query


def test_a_type_modifier_naming_another_type_is_refused(two_patients, fhir, token):
    status, body, _ = fhir("GET", f"Condition?subject:Group={two_patients.patient.pk}", token)
    assert status == 400 and "subject:Group" in body["issue"][0]["diagnostics"]


def test_code_not_returns_the_conditions_without_the_code(two_patients, fhir, token):
    Condition = two_patients.episode.__class__
    make_episode(two_patients.other_patient, two_patients.practitioner,
                 diagnosis_codes=["M54.16"])
    status, body, _ = fhir("GET", "Condition?code:not=M54.50", token)
    assert status == 200
    expected = {str(e.pk) for e in Condition.objects.all() if "M54.50" not in e.diagnosis_codes}
    assert ids(body) == expected and len(expected) == 1
    both = fhir("GET", "Condition?code:not=M54.50,M54.16", token)[1]
    assert body["total"] == 1 and both["total"] == 0


def test_family_exact_is_the_whole_name_with_its_case(record, fhir, token):
    assert fhir("GET", "Patient?family:exact=archer", token)[1]["total"] == 0
    assert fhir("GET", "Patient?family:exact=Arch", token)[1]["total"] == 0
    body = fhir("GET", "Patient?family:exact=Archer", token)[1]
    assert ids(body) == {str(record.patient.pk)}
    assert ids(fhir("GET", "Patient?family:contains=rche", token)[1]) == {str(record.patient.pk)}
    assert fhir("GET", "Patient?family=rche", token)[1]["total"] == 0  # default: starts with


def test_comma_is_or_for_every_parameter_type(record, fhir, token):
    both = {str(record.patient.pk), str(record.other_patient.pk)}
    assert ids(fhir("GET", "Patient?family=Arch,Bak", token)[1]) == both
    assert ids(fhir("GET", f"Patient?_id={record.patient.pk},{record.other_patient.pk}",
                    token)[1]) == both
    today = clinic_today(record.session.location)
    query = f"Encounter?date={today - timedelta(days=9)},{today}"
    assert ids(fhir("GET", query, token)[1]) == {str(record.session.pk)}
    query = f"Condition?patient={record.other_patient.pk},{record.patient.pk}"
    assert ids(fhir("GET", query, token)[1]) == {str(record.episode.pk)}


def test_an_escaped_comma_is_part_of_the_value():
    assert split_or(r"a\,b,c") == [r"a\,b", "c"]


def test_the_preferred_name_is_searched_as_a_given_name(record, fhir, token):
    record.patient.preferred_name = "Ally"
    record.patient.save()
    assert ids(fhir("GET", "Patient?given=ally", token)[1]) == {str(record.patient.pk)}
    assert ids(fhir("GET", "Patient?name=ally", token)[1]) == {str(record.patient.pk)}


def test_an_identifier_of_another_system_matches_nothing(record, fhir, token):
    mrn = record.patient.mrn
    assert fhir("GET", f"Patient?identifier=http://other.example/mrn|{mrn}", token)[1][
        "total"] == 0
    system = mapping.mrn_system(record.clinic)
    assert fhir("GET", f"Patient?identifier={quote(system)}|{mrn}", token)[1]["total"] == 1
    assert fhir("GET", f"Patient?identifier={mrn}", token)[1]["total"] == 1


def test_date_prefixes_compare_ranges_as_the_specification_defines(record, fhir, token):
    """The session is on a day; a search value at a finer precision overlaps that day."""
    today = clinic_today(record.session.location)
    session = {str(record.session.pk)}
    cases = {f"le{today}T10:00:00Z": session, f"lt{today}T10:00:00Z": session,
             f"gt{today}T10:00:00Z": session, f"eq{today}T10:00:00Z": set(),
             f"eq{today}": session, f"ne{today}": set(), f"sa{today}": set(),
             f"eb{today}": set(), f"sa{today - timedelta(days=1)}": session,
             f"eb{today + timedelta(days=1)}": session, f"ge{today}": session,
             f"lt{today}": set(), f"ne{today - timedelta(days=1)}": session}
    for value, expected in cases.items():
        status, body, _ = fhir("GET", f"Encounter?date={quote(value)}", token)
        assert status == 200 and ids(body) == expected, value


def test_count_zero_answers_the_total_without_a_next_link(record, fhir, token):
    for query in ("Patient?_count=0", "Patient?_summary=count"):
        status, body, _ = fhir("GET", query, token)
        assert status == 200 and body["total"] == 2 and not body.get("entry"), query
        assert {link["relation"] for link in body["link"]} == {"self"}, query


def test_total_none_leaves_the_total_out(record, fhir, token):
    body = fhir("GET", "Patient?_total=none", token)[1]
    assert "total" not in body and len(body["entry"]) == 2


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(0, 4), offset=st.integers(0, 9))
def test_following_next_links_always_ends(record, fhir, token, count, offset):
    query = f"Patient?_count={count}&_offset={offset}"
    pages = 0
    while query:
        status, body, _ = fhir("GET", query, token)
        assert status == 200
        pages += 1
        assert pages <= 4, "paging did not end"
        links = {x["relation"]: x["url"] for x in body["link"]}
        query = links.get("next", "").split("/fhir/", 1)[-1] if "next" in links else None


@pytest.mark.parametrize("query", [
    "Patient?_sort=family", "Patient?_include=Patient:organization", "Patient?_elements=nickname",
    "Patient?_summary=text", "Patient?_total=exactish", "Patient?_count:exact=3",
    "Patient?_count=3&_count=4", "Patient?_revinclude=Condition:asserter",
    "Patient?_lastUpdated=ap2026-01-01", "Patient?_has:Condition:subject:code=M54.50",
    "Condition?subject.name=Archer", "Condition?subject:Patient.name=Archer",
    "Patient?family=", "Patient?family=Arch,", "Condition?code=http://hl7.org/fhir/sid/icd-10-cm|",
    "Encounter?date=ap2026-01-01", "Patient?_pretty=true", "Patient?_format=xml"])
def test_what_is_not_honoured_is_refused_naming_it(record, fhir, token, query):
    status, body, _ = fhir("GET", query, token)
    assert status == 400, query
    name = query.split("?", 1)[1].split("=", 1)[0].split("&")[0]
    assert body["resourceType"] == "OperationOutcome"
    assert name.split(":")[0].split(".")[0] in body["issue"][0]["diagnostics"], query


SAMPLE = {"token": "M54.50", "string": "Arch", "date": "2026-01-01", "reference": "1"}


def test_every_declared_parameter_with_every_modifier_and_prefix_is_honoured_or_400(
        record, fhir, token):
    """The sweep: a 200 only for a modifier or prefix the CapabilityStatement declares
    (through the parameter's SearchParameter definition); everything else 400 naming it."""
    metadata = fhir("GET", "metadata")[1]
    type_modifiers = [f"{t}" for t in mapping.RESOURCE_TYPES] + ["Group", "Device"]
    checked = 0
    for entry in metadata["rest"][0]["resource"]:
        for declared in entry.get("searchParam", []):  # Group: $export only
            definition_id = declared["definition"].rsplit("/", 1)[1]
            status, definition, _ = fhir("GET", f"SearchParameter/{definition_id}")
            assert status == 200, definition_id
            mapping.validate(definition)
            assert definition["code"] == declared["name"]
            assert definition["type"] == declared["type"]
            modifiers = set(definition.get("modifier", []))
            comparators = set(definition.get("comparator", []))
            sample = SAMPLE[declared["type"]]
            if declared["name"] == "_id":
                sample = str(record.patient.pk)
            for modifier in (None, *FHIR_MODIFIERS, *type_modifiers):
                name = declared["name"] + (f":{modifier}" if modifier else "")
                status, body, _ = fhir("GET", f"{entry['type']}?{name}={sample}", token)
                checked += 1
                if modifier is None:
                    assert status == 200, name
                elif modifier in FHIR_MODIFIERS:
                    honoured = modifier in modifiers
                    assert status == (200 if honoured else 400), (entry["type"], name)
                else:  # a type modifier: honoured only for a declared target
                    honoured = "type" in modifiers and modifier in definition.get("target", [])
                    assert status == (200 if honoured else 400), (entry["type"], name)
                if status == 400:
                    assert name in body["issue"][0]["diagnostics"], name
            for prefix in FHIR_PREFIXES:
                value = prefix + sample
                status, body, _ = fhir("GET", f"{entry['type']}?{declared['name']}={value}",
                                       token)
                checked += 1
                if declared["type"] == "date":
                    assert status == (200 if prefix in comparators else 400), value
                else:  # for other types the letters are simply part of the value
                    assert status in (200, 400), value
                if status == 400:
                    assert declared["name"] in body["issue"][0]["diagnostics"], value
    # The result parameters the CapabilityStatement declares take no modifier (a
    # _include:iterate would be an include the server does not do).
    samples = {"_count": "1", "_offset": "0", "_sort": "_id", "_summary": "false",
               "_elements": "id", "_total": "none", "_include": "Condition:subject",
               "_revinclude": "Condition:subject", "_format": "json"}
    for declared in metadata["rest"][0]["searchParam"]:
        name, value = declared["name"], samples[declared["name"]]
        searched = "Condition" if name == "_include" else "Patient"
        assert fhir("GET", f"{searched}?{name}={value}", token)[0] == 200, name
        for modifier in (*FHIR_MODIFIERS, *type_modifiers):
            status, body, _ = fhir("GET", f"{searched}?{name}:{modifier}={value}", token)
            checked += 1
            assert status == 400 and f"{name}:{modifier}" in body["issue"][0]["diagnostics"]
    assert checked > 500


def test_the_capability_statement_declares_exactly_the_parameters_honoured(fhir):
    metadata = fhir("GET", "metadata")[1]
    for entry in metadata["rest"][0]["resource"]:
        declared = {p["name"] for p in entry.get("searchParam", [])}
        honoured = set(KINDS[entry["type"]].params) if entry["type"] != "Group" else set()
        assert declared == honoured, entry["type"]
    result = {p["name"] for p in metadata["rest"][0]["searchParam"]}
    assert result == {"_count", "_offset", "_sort", "_summary", "_elements", "_total",
                      "_include", "_revinclude", "_format"}


@pytest.mark.parametrize("path", [
    "Patient/{pid}?_elements=name", "Patient/{pid}?_format=xml", "Patient/{pid}?_summary=true",
    "Patient/{pid}/$everything?_type=Observation", "Patient/{pid}/$everything?start=2026-01-01",
    "Patient/{pid}/$everything?_count=1", "metadata?mode=terminology", "metadata?_format=xml",
    "SearchParameter/Patient-family?_elements=code"])
def test_other_interactions_refuse_parameters_they_do_not_honour(record, fhir, token, path):
    path = path.format(pid=record.patient.pk)
    status, body, _ = fhir("GET", path, token)
    assert status == 400, path
    name = path.split("?", 1)[1].split("=", 1)[0]
    assert name in body["issue"][0]["diagnostics"] or "_format" in body["issue"][0][
        "diagnostics"], path


def test_other_interactions_accept_the_json_format(record, fhir, token):
    pid = record.patient.pk
    for path in (f"Patient/{pid}?_format=json", f"Patient/{pid}/$everything?_format=json",
                 "metadata?_format=application/fhir%2Bjson"):
        assert fhir("GET", path, token)[0] == 200, path
