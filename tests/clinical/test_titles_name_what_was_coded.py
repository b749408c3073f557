"""Issue #26 clinician re-test: a coded I71.0- aortic dissection showed "Symptomatic
abdominal aortic aneurysm", D69.6 thrombocytopenia "Haemophilia or severe coagulopathy",
and a blocking coded finding the outcome "Proceed with precautions". A coded finding's
title names what was coded (the rule stays); the outcome shown comes from the same hold
on needling as the gate."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acuback.clinical import diagnoses
from acuback.clinical.safety import (
    NEEDLE_LIMITS,
    Answers,
    Outcome,
    decide,
    needle_limit_problems,
    outcome_words,
)
from tests.clinical.test_coded_serious_causes import all_mapped

YES_NO = [f.name for f in dataclasses.fields(Answers) if f.type == "bool | None"]
CLEAR = Answers(**dict.fromkeys(YES_NO, False), age=60, sex_at_birth="male",
                back_pain_onset_age=60, back_pain_duration_weeks=2.0, first_back_pain_age=60)


def coded(code: str) -> Answers:
    question = next((r.contradicts for r in diagnoses.SAFETY_RANGES
                     if code.startswith(r.prefix) and r.contradicts), None)
    return dataclasses.replace(CLEAR, diagnosis_codes=frozenset({code}),
                               **({question: None} if question else {}))


def finding(answers: Answers, rule: str):
    return next(f for f in decide(answers).findings if f.rule_id == rule)


@pytest.mark.parametrize(("code", "rule", "words", "not_words"), [
    ("I71.02", "RF-09", "Dissection of abdominal aorta (I71.02)", "aneurysm"),
    ("I71.010", "RF-09", "Dissection of ascending aorta (I71.010)", "aneurysm"),
    ("D69.6", "CI-BLEEDING", "Thrombocytopenia, unspecified (D69.6)", "Haemophilia"),
    ("M46.46", "RF-06", "Discitis, unspecified, lumbar region (M46.46)", "Spinal infection"),
])
def test_a_coded_finding_is_titled_with_what_was_coded(code, rule, words, not_words):
    f = finding(coded(code), rule)
    assert f.title == words and not_words not in f.title
    assert f.rule_id == rule  # the rule, its tier and its actions stay


def test_a_finding_the_answers_raise_keeps_the_rules_title():
    answers = dataclasses.replace(coded("D69.6"), bleeding_disorder=True)
    assert finding(answers, "CI-BLEEDING").title == "Haemophilia or severe coagulopathy"


def test_the_needle_ceiling_refusal_names_what_was_coded():
    f = finding(coded("D69.6"), "CI-BLEEDING")
    problems = needle_limit_problems([f.rule_id], [{"point_code": "BL23", "depth_mm": 40,
                                                    "gauge_mm": "0.30"}],
                                     titles={f.rule_id: f.title})
    assert problems and all("thrombocytopenia" in p and "haemophilia" not in p
                            for p in problems)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_every_coded_cause_titles_its_finding_with_the_code(data):
    code, rule = data.draw(st.sampled_from(all_mapped()))
    d = decide(coded(code))
    f = next(f for f in d.findings if f.rule_id == rule)
    assert f.title == f"{diagnoses.BY_CODE[code].description} ({code})"


def test_a_blocking_coded_finding_is_never_shown_as_proceed():
    d = decide(coded("D69.6"))
    assert d.outcome == Outcome.PRECAUTIONS and not d.needling_allowed
    assert d.outcome_words == "Needling on hold"
    assert outcome_words(Outcome.PRECAUTIONS, True) == "Proceed with precautions"
    assert "CI-BLEEDING" in NEEDLE_LIMITS


@given(st.sampled_from(list(Outcome)), st.booleans())
def test_the_words_say_proceed_only_when_needling_is_allowed(outcome, allowed):
    assert ("Proceed" in outcome_words(outcome, allowed)) == (allowed
                                                              and outcome <= Outcome.PRECAUTIONS)


def test_the_findings_table_shows_a_blocking_finding_as_on_hold():
    from acuback.web.templatetags.plain_words import outcome_words as shown

    blocking = next(f for f in decide(coded("D69.6")).as_dict()["findings"]
                    if f["rule"] == "CI-BLEEDING")
    assert shown(blocking) == "Needling on hold"
    assert shown("PRECAUTIONS") == "Proceed with precautions"
    ack_only = {"outcome": "PRECAUTIONS", "actions": ["REQUIRE_ACK"]}
    assert shown(ack_only) == "Proceed with precautions"
