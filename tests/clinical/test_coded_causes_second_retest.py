"""Clinician re-test of issue #26 (item 3): coded serious causes were missed (aortic
dissection, cord compression, a pathological vertebral fracture, thrombocytopenia,
long-term anticoagulants, a pacemaker, a pregnancy, ankylosing spondylitis), and a coded
diagnosis that contradicts an explicit "no" was accepted (C79.51 with "ever had cancer?
no"). Each code raises its rule naming the code; a contradiction is refused naming the
question, as the medication list already is."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import diagnoses
from acuback.clinical.safety import Answers, InvalidAnswer, Outcome, decide

YES_NO = [f.name for f in dataclasses.fields(Answers) if f.type == "bool | None"]
CLEAR = Answers(**dict.fromkeys(YES_NO, False), age=40, sex_at_birth="female",
                back_pain_onset_age=40, back_pain_duration_weeks=30.0, first_back_pain_age=40)


def decided(code, **answers):
    return decide(dataclasses.replace(CLEAR, diagnosis_codes=frozenset({code}), **answers))


def fired(decision) -> dict:
    return {f.rule_id: f for f in decision.findings}


@pytest.mark.parametrize(("code", "rule", "outcome", "answers"), [
    ("I71.010", "RF-09", Outcome.EMERGENCY, {}),     # dissection of the ascending aorta
    ("I71.02", "RF-09", Outcome.EMERGENCY, {}),      # dissection of abdominal aorta
    ("G95.20", "RF-02", Outcome.EMERGENCY, {}),      # cord compression, unspecified
    ("G95.29", "RF-02", Outcome.EMERGENCY, {}),
    ("M84.58XA", "RF-04", Outcome.URGENT, {"history_of_cancer": True}),
    ("M84.48XA", "RF-08", Outcome.SOON, {}),
    ("D69.6", "CI-BLEEDING", Outcome.PRECAUTIONS, {"bleeding_disorder": None}),
    ("D69.3", "CI-BLEEDING", Outcome.PRECAUTIONS, {"bleeding_disorder": True}),
    ("D68.01", "CI-BLEEDING", Outcome.PRECAUTIONS, {"bleeding_disorder": True}),
])
def test_a_coded_cause_holds_needling_naming_the_code(code, rule, outcome, answers):
    d = decided(code, **answers)
    assert rule in fired(d) and code in fired(d)[rule].note
    assert fired(d)[rule].outcome is outcome
    assert not d.needling_allowed


def test_coded_anticoagulant_use_raises_the_anticoagulant_precaution():
    d = decided("Z79.01", takes_listed_medicines=True, medication_classes=frozenset())
    assert "Z79.01" in fired(d)["CI-ANTICOAG"].note
    assert "0.20 mm" in fired(d)["CI-ANTICOAG"].acknowledgement


def test_a_coded_pacemaker_blocks_electroacupuncture():
    d = decided("Z95.0", has_implanted_device=True)
    assert "Z95.0" in fired(d)["CI-DEVICE"].note
    assert not d.electroacupuncture_allowed


def test_a_coded_pregnancy_blocks_the_pregnancy_points_with_the_answer_blank():
    d = decided("Z33.1", pregnant=None)
    assert {"LI4", "SP6", "GB21"} <= d.blocked_points and not d.electroacupuncture_allowed
    assert "Z33.1" in fired(d)["CI-PREGNANCY"].note
    assert "ASK" not in fired(d)  # the code answers it


def test_a_coded_ankylosing_spondylitis_asks_for_the_rheumatology_follow_up():
    d = decided("M45.6")
    assert fired(d)["RF-10"].outcome is Outcome.SOON
    assert "rheumatology" in fired(d)["RF-10"].acknowledgement


@pytest.mark.parametrize(("code", "question"), [
    ("C79.51", "history_of_cancer"), ("D66", "bleeding_disorder"), ("Z33.1", "pregnant"),
    ("D69.6", "bleeding_disorder"), ("Z79.01", "takes_listed_medicines"),
    ("Z95.0", "has_implanted_device"), ("M53.2X6", "spinal_instability"),
    ("M80.08XA", "osteoporosis"), ("M84.58XA", "history_of_cancer"),
])
def test_a_code_contradicting_an_explicit_no_is_refused_naming_the_question(code, question):
    with pytest.raises(InvalidAnswer) as refused:
        decided(code, **{question: False})
    assert refused.value.field == question and code in refused.value.message


def test_a_pregnancy_code_for_a_patient_born_male_is_refused():
    with pytest.raises(InvalidAnswer) as refused:
        decided("Z33.1", pregnant=None, sex_at_birth="male")
    assert refused.value.field == "diagnosis_codes"


@given(st.sampled_from([r for r in diagnoses.SAFETY_RANGES if r.contradicts]))
def test_every_range_that_contradicts_names_a_yes_no_question(r):
    assert r.contradicts in YES_NO
