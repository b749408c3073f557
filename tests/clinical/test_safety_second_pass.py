"""Issue #26, clinical safety second pass: items 1 (unknown is not no), 2 (missed and
over-called red flags) and 3 (coded diagnoses feed the safety profile)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acuback.clinical import diagnoses
from acuback.clinical.safety import (
    PREGNANCY_BLOCKED_POINTS,
    Answers,
    InvalidAnswer,
    Outcome,
    decide,
)

YES_NO = [f.name for f in dataclasses.fields(Answers) if f.type == "bool | None"]

# A complete intake: every question answered "no", the chart's facts filled in.
ALL_NO = Answers(**dict.fromkeys(YES_NO, False), age=40, sex_at_birth="male",
                 back_pain_onset_age=40, back_pain_duration_weeks=2.0,
                 first_back_pain_age=40)


def patient(**changes) -> Answers:
    return dataclasses.replace(ALL_NO, **changes)


def fired(decision) -> dict:
    return {f.rule_id: f for f in decision.findings}


def agreeing(codes) -> dict[str, bool]:
    """A "yes" to each question a "no" to which the codes contradict."""
    return dict.fromkeys(diagnoses.contradictions(codes), True)


def test_a_complete_clear_intake_proceeds():
    d = decide(ALL_NO)
    assert d.outcome is Outcome.PROCEED and d.needling_allowed and d.findings == ()


# --- 1. unknown is not no -------------------------------------------------------------

def test_a_woman_of_28_with_pregnancy_blank_may_not_be_needled_until_asked():
    d = decide(patient(age=28, sex_at_birth="female", back_pain_onset_age=28,
                       first_back_pain_age=28, pregnant=None))
    assert not d.needling_allowed and not d.electroacupuncture_allowed
    assert "pregnant" in fired(d)["ASK"].questions


def test_pregnancy_is_not_asked_of_a_patient_whose_sex_at_birth_is_male():
    d = decide(patient(pregnant=None))
    assert d.needling_allowed and "ASK" not in fired(d)


def test_cancer_history_with_new_episode_blank_blocks_needling_and_names_the_question():
    d = decide(patient(history_of_cancer=True, new_episode=None))
    assert not d.needling_allowed
    assert "new_episode" in fired(d)["ASK"].questions
    assert decide(patient(history_of_cancer=True, new_episode=True)).outcome is Outcome.URGENT


def test_the_follow_up_of_a_no_is_not_asked_but_of_a_yes_it_is():
    # "No improvement after a month" only matters for a new episode not yet assessed.
    assert decide(patient(new_episode=False, medically_assessed=None,
                          no_improvement_after_month=None)).needling_allowed
    d = decide(patient(new_episode=True, no_improvement_after_month=True,
                       medically_assessed=None))
    assert "medically_assessed" in fired(d)["ASK"].questions


def test_two_blank_facts_that_only_matter_together_are_both_asked():
    d = decide(patient(history_of_cancer=None, new_episode=None))
    assert {"history_of_cancer", "new_episode"} <= set(fired(d)["ASK"].questions)
    assert not d.needling_allowed


def test_a_blank_first_back_pain_age_is_asked_when_it_could_open_the_ng65_rule():
    features = {"wakes_second_half_of_night": True, "buttock_pain": True,
                    "improves_with_movement": True, "nsaid_response_48h": True}
    d = decide(patient(age=46, back_pain_onset_age=46, first_back_pain_age=None, **features))
    assert "first_back_pain_age" in fired(d)["ASK"].questions


def restrictions(d) -> tuple:
    """What a decision forbids: blank may never forbid less than a yes or a no."""
    return d.needling_allowed, d.electroacupuncture_allowed, d.blocked_points, \
        d.blocked_regions, set(d.acknowledgements)


def less_restrictive(blank, other) -> bool:
    if blank.needling_allowed and not other.needling_allowed:
        return True
    if not blank.needling_allowed:
        return False  # nothing is allowed: as restrictive as a decision gets
    return (blank.electroacupuncture_allowed and not other.electroacupuncture_allowed) \
        or not other.blocked_points <= blank.blocked_points \
        or not other.blocked_regions <= blank.blocked_regions \
        or not set(other.acknowledgements) <= set(blank.acknowledgements)


# One code of each range the rules read (the ranges themselves: test_coded_serious_causes).
CODED = sorted({"G83.4": "RF-01", "M46.46": "RF-06", "M46.47": "RF-06", "M46.26": "RF-06",
                "M46.27": "RF-06", "C41.2": "RF-04", "C79.51": "RF-04", "S32.009A": "RF-07",
                "M48.56XA": "RF-08", "M80.08XA": "RF-08", "M53.2X6": "CI-SPINE",
                "M53.2X7": "CI-SPINE", "I71.40": "RF-09", "D66": "CI-BLEEDING"}.items())

# Fully answered (mostly "no", so that needling is often allowed); the test blanks one.
answered = st.builds(
    Answers,
    age=st.integers(12, 95),
    sex_at_birth=st.sampled_from([None, "female", "male"]),
    back_pain_duration_weeks=st.floats(0, 600),
    medication_classes=st.frozensets(st.sampled_from(["anticoagulant", "antiplatelet",
                                                       "corticosteroid",
                                                       "immunosuppressant"])),
    diagnosis_codes=st.frozensets(st.sampled_from(["M54.50", "M54.16", *dict(CODED)]),
                                  max_size=1) | st.just(frozenset()),
    first_back_pain_age=st.integers(0, 12),
    **{name: st.sampled_from([False] * 30 + [True]) for name in YES_NO},
).map(lambda a: dataclasses.replace(a, back_pain_onset_age=a.age,
                                    pregnant=a.pregnant and a.sex_at_birth != "male")
       ).map(lambda a: dataclasses.replace(a, **agreeing(a.diagnosis_codes)))




@settings(max_examples=150, deadline=None)
@given(answered, st.sampled_from(YES_NO))
def test_a_blank_answer_is_never_less_restrictive_than_yes_or_no(answers, name):
    if name == "pregnant" and answers.sex_at_birth == "male":
        return
    blank = decide(dataclasses.replace(answers, **{name: None}))
    for value in (True, False):
        try:
            other = decide(dataclasses.replace(answers, **{name: value}))
        except InvalidAnswer:
            continue  # a "no" the patient's diagnosis contradicts: not a possible answer
        assert not less_restrictive(blank, other), (name, value, restrictions(blank),
                                                    restrictions(other))


# --- 2. red flags missed or over-called --------------------------------------------

def test_rf09_back_pain_with_a_pulsatile_mass_is_a_vascular_emergency():
    d = decide(patient(age=72, pulsatile_abdominal_mass=True, abdominal_or_flank_pain=False))
    assert d.outcome is Outcome.EMERGENCY and "RF-09" in fired(d)
    assert not d.needling_allowed


def test_rf09_back_pain_with_collapse_is_a_vascular_emergency():
    assert "RF-09" in fired(decide(patient(collapse=True)))


def test_rf08_osteoporosis_and_long_term_steroids_need_no_trauma():
    d = decide(patient(age=72, sex_at_birth="female", pregnant=False, new_episode=True,
                       osteoporosis=True, medication_classes=frozenset({"corticosteroid"})))
    assert "RF-08" in fired(d) and d.outcome >= Outcome.SOON
    assert fired(d)["RF-08"].acknowledgement


def test_rf08_one_fragility_risk_without_trauma_is_no_flag():
    d = decide(patient(age=60, new_episode=True, osteoporosis=True))
    assert "RF-08" not in fired(d)


def test_rf05_onset_before_20_counts_as_a_weaker_cancer_feature():
    d = decide(patient(age=16, back_pain_onset_age=16, first_back_pain_age=16,
                       new_episode=True, night_pain=True))
    assert fired(d)["RF-05"].outcome is Outcome.URGENT and not d.needling_allowed


def test_rf05_onset_before_20_alone_is_no_flag():
    assert "RF-05" not in fired(decide(patient(age=16, back_pain_onset_age=16,
                                               first_back_pain_age=16)))


def test_rf10_counts_from_the_first_back_pain_not_the_episode():
    d = decide(patient(age=46, back_pain_onset_age=46, back_pain_duration_weeks=2,
                       first_back_pain_age=25, wakes_second_half_of_night=True,
                       buttock_pain=True, improves_with_movement=True))
    # First onset at 25: eligible, and "onset before 35" is the fourth feature.
    assert "RF-10" in fired(d) and "onset before 35" in fired(d)["RF-10"].note
    assert "rheumatology" in fired(d)["RF-10"].note


def test_rf10_first_back_pain_in_the_year_before_the_episode_still_needs_3_months():
    d = decide(patient(age=44, back_pain_onset_age=44, back_pain_duration_weeks=2,
                       first_back_pain_age=43, wakes_second_half_of_night=True,
                       buttock_pain=True, improves_with_movement=True,
                       nsaid_response_48h=True))
    assert "RF-10" not in fired(d)


def test_rf06_a_risk_factor_with_long_standing_unchanged_pain_is_a_precaution():
    d = decide(patient(new_episode=False, back_pain_duration_weeks=260,
                       medication_classes=frozenset({"immunosuppressant"})))
    assert fired(d)["RF-06"].outcome is Outcome.PRECAUTIONS
    assert d.outcome is Outcome.PRECAUTIONS and d.needling_allowed


def test_rf06_a_risk_factor_with_new_pain_stays_urgent():
    d = decide(patient(new_episode=True, iv_drug_use=True))
    assert fired(d)["RF-06"].outcome is Outcome.URGENT and not d.needling_allowed


def test_rf06_systemic_features_stay_an_emergency():
    d = decide(patient(new_episode=False, fever_or_chills=True))
    assert fired(d)["RF-06"].outcome is Outcome.EMERGENCY


# --- 3. coded diagnoses ---------------------------------------------------------------



def test_the_serious_causes_named_in_the_issue_are_coded():
    rules = dict(CODED)
    assert rules["G83.4"] == "RF-01" and rules["M46.46"] == "RF-06"
    assert rules["M53.2X6"] == "CI-SPINE"
    assert {"RF-04", "RF-07", "RF-08"} <= set(rules.values())


@pytest.mark.parametrize(("code", "rule"), CODED)
def test_a_coded_serious_cause_raises_its_rule_naming_the_code_and_blocks(code, rule):
    d = decide(patient(diagnosis_codes=frozenset({code}), **agreeing([code])))
    assert rule in fired(d), fired(d)
    assert code in fired(d)[rule].note
    assert not d.needling_allowed


def test_a_coded_malignancy_with_a_neurological_symptom_is_an_emergency():
    d = decide(patient(diagnosis_codes=frozenset({"C79.51"}), limb_weakness=True,
                       history_of_cancer=True))
    assert "RF-03" in fired(d) and d.outcome is Outcome.EMERGENCY


def test_an_ordinary_code_raises_nothing():
    assert decide(patient(diagnosis_codes=frozenset({"M54.50"}))).findings == ()


def test_a_code_off_the_list_is_refused_naming_the_field():
    from acuback.clinical.safety import InvalidAnswer

    with pytest.raises(InvalidAnswer) as excinfo:
        decide(patient(diagnosis_codes=frozenset({"Z99.99"})))
    assert excinfo.value.field == "diagnosis_codes"


def test_every_shipped_code_is_a_billable_icd10cm_code_with_its_description():
    cm = pytest.importorskip("simple_icd_10_cm")
    for code, rule in CODED:
        assert cm.is_valid_item(code) and cm.is_leaf(code), code
        assert diagnoses.BY_CODE[code].safety_rule == rule
        assert diagnoses.BY_CODE[code].specific_cause == rule.startswith("RF-"), code


def test_pregnancy_still_blocks_its_points():
    d = decide(patient(sex_at_birth="female", pregnant=True))
    assert set(PREGNANCY_BLOCKED_POINTS) <= d.blocked_points
