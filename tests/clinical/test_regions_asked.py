"""Issue #26, item 1 of the third safety pass: the skin-problem, tumour and lymphoedema
regions were tick boxes, so "not asked" was stored as "none" and a wound over the lower
back never asked about counted as "no". Each is now an answered question (yes / no, then
which region), like the medicines and implanted devices; blank is unknown and blocks
needling (rule ASK)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.safety import (
    LIST_QUESTIONS,
    REGIONS,
    Answers,
    answers_from_json,
    answers_to_json,
    decide,
)

YES_NO = [f.name for f in dataclasses.fields(Answers) if f.type == "bool | None"]
ALL_NO = Answers(**dict.fromkeys(YES_NO, False), age=40, sex_at_birth="male",
                 back_pain_onset_age=40, back_pain_duration_weeks=2.0, first_back_pain_age=40)
REGION_QUESTIONS = {"has_skin_problem": ("skin_problem_regions", "CI-SKIN"),
                    "has_tumour": ("tumour_regions", "CI-TUMOUR"),
                    "has_lymphoedema": ("lymphoedema_regions", "CI-LYMPH")}


def asked(decision) -> tuple[str, ...]:
    return next((f.questions for f in decision.findings if f.rule_id == "ASK"), ())


def test_every_region_list_of_the_screening_has_its_question():
    """The sweep: every list the rules read on the screening stands behind a question."""
    # Codes, agents and herbs come from the chart and the patient's lists, not a question.
    from_lists = {"diagnosis_codes", "antithrombotic_agents", "bleeding_herbs"}
    lists = {f.name for f in dataclasses.fields(Answers)
             if f.type.startswith(("frozenset", "tuple")) and f.name not in from_lists}
    assert lists == set(LIST_QUESTIONS.values())
    for question, (listed, _) in REGION_QUESTIONS.items():
        assert LIST_QUESTIONS[question] == listed


@pytest.mark.parametrize("question", REGION_QUESTIONS)
def test_a_region_question_left_blank_blocks_needling_and_is_named(question):
    d = decide(dataclasses.replace(ALL_NO, **{question: None}))
    assert not d.needling_allowed
    assert question in asked(d)


@pytest.mark.parametrize("question", REGION_QUESTIONS)
def test_yes_with_no_region_is_still_unknown(question):
    d = decide(dataclasses.replace(ALL_NO, **{question: True}))
    assert not d.needling_allowed and question in asked(d)


@pytest.mark.parametrize("question", REGION_QUESTIONS)
def test_a_region_named_counts_even_after_no(question):
    """The form refuses it (below); the rules never drop a named region."""
    listed, rule = REGION_QUESTIONS[question]
    d = decide(dataclasses.replace(ALL_NO, **{listed: frozenset({"upper_limb"})}))
    assert rule in {f.rule_id for f in d.findings} and "upper_limb" in d.blocked_regions


@pytest.mark.parametrize("question", REGION_QUESTIONS)
def test_the_form_asks_each_region_question_and_refuses_a_contradiction(question):
    from acuback.screening.forms import IntakeForm

    listed, _ = REGION_QUESTIONS[question]
    blank = IntakeForm(data={})
    assert question in blank.fields and blank.is_valid(), blank.errors
    assert blank.cleaned_data[question] == ""
    for data in ({question: "no", listed: ["upper_limb"]}, {question: "yes"}):
        form = IntakeForm(data=data)
        assert not form.is_valid() and listed in form.errors


@given(question=st.sampled_from(sorted(REGION_QUESTIONS)),
       regions=st.frozensets(st.sampled_from(REGIONS), min_size=1))
def test_yes_with_regions_blocks_those_regions(question, regions):
    listed, rule = REGION_QUESTIONS[question]
    d = decide(dataclasses.replace(ALL_NO, **{question: True, listed: regions}))
    assert d.needling_allowed and not asked(d)
    assert rule in {f.rule_id for f in d.findings}
    assert regions <= d.blocked_regions


@given(question=st.sampled_from(sorted(REGION_QUESTIONS)),
       regions=st.frozensets(st.sampled_from(REGIONS), min_size=1))
def test_blank_is_never_less_restrictive_than_yes_or_no(question, regions):
    listed, _ = REGION_QUESTIONS[question]
    blank = decide(dataclasses.replace(ALL_NO, **{question: None}))
    no = decide(ALL_NO)
    yes = decide(dataclasses.replace(ALL_NO, **{question: True, listed: regions}))
    assert not blank.needling_allowed
    assert no.needling_allowed and yes.needling_allowed


def test_screenings_stored_before_the_questions_stay_readable():
    """A ticked region was an answer (yes); an empty list was never asked (unknown)."""
    old = answers_to_json(dataclasses.replace(ALL_NO, has_tumour=True,
                                              tumour_regions=frozenset({"sacral"})))
    for question in REGION_QUESTIONS:
        old.pop(question)
    read = answers_from_json(old)
    assert read.has_tumour is True and read.tumour_regions == {"sacral"}
    assert read.has_skin_problem is None and read.has_lymphoedema is None
    d = decide(read)
    assert not d.needling_allowed
    assert set(asked(d)) == {"has_skin_problem", "has_lymphoedema"}
    assert "sacral" in d.blocked_regions
