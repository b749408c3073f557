"""The red-flag and contraindication rules against safety.md, case by case."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.safety import (
    CES_ITEMS,
    MUST_ASK,
    RULES,
    Action,
    Answers,
    Device,
    InvalidAnswer,
    Outcome,
    decide,
    rules_markdown,
)

# Every question answered "no": the baseline of a clean intake (a blank is unknown, and
# an unknown that could change the decision blocks needling: rule ASK).
CLEAR = Answers(**{f.name: False for f in dataclasses.fields(Answers)
                   if f.type == "bool | None"})


def with_(**changes) -> Answers:
    return dataclasses.replace(CLEAR, **changes)


def fired(decision) -> set[str]:
    return {f.rule_id for f in decision.findings}


def test_a_clean_intake_proceeds_with_only_the_prohibited_sites_blocked():
    d = decide(CLEAR)
    assert d.outcome is Outcome.PROCEED
    assert d.needling_allowed and d.electroacupuncture_allowed
    assert d.findings == ()
    assert d.blocked_points == {"ST17", "CV8"}


@pytest.mark.parametrize("item", [name for name, _ in CES_ITEMS])
def test_rf01_any_single_cauda_equina_sign_is_an_emergency(item):
    d = decide(with_(**{item: True}))
    assert d.outcome is Outcome.EMERGENCY and "RF-01" in fired(d)
    assert not d.needling_allowed


@pytest.mark.parametrize("item", MUST_ASK)
def test_rf01_an_unanswered_cauda_equina_question_blocks_needling(item):
    d = decide(with_(**{item: None}))
    assert fired(d) == {"RF-01-ASK"} and not d.needling_allowed
    assert d.outcome is Outcome.PRECAUTIONS


@pytest.mark.parametrize("answers", [{"progressive_weakness": True},
                                     {"multi_root_motor_deficit": True}])
def test_rf02_progressive_or_multi_root_deficit_is_an_emergency(answers):
    assert decide(with_(**answers)).outcome is Outcome.EMERGENCY


def test_rf03_cancer_new_pain_and_a_neurological_symptom_is_an_emergency():
    d = decide(with_(history_of_cancer=True, new_episode=True, sensory_change=True))
    assert fired(d) == {"RF-03"} and d.outcome is Outcome.EMERGENCY


def test_rf04_cancer_and_new_pain_without_neurology_is_urgent():
    d = decide(with_(history_of_cancer=True, new_episode=True))
    assert fired(d) == {"RF-04"} and d.outcome is Outcome.URGENT
    assert not d.needling_allowed


def test_rf04_does_not_fire_for_an_old_episode():
    assert "RF-04" not in fired(decide(with_(history_of_cancer=True, new_episode=False)))


def test_rf05_age_alone_is_no_flag():
    assert decide(with_(age=70)).outcome is Outcome.PROCEED


def test_rf05_one_feature_other_than_age_is_soon():
    d = decide(with_(unexplained_weight_loss=True))
    assert d.outcome is Outcome.SOON and d.needling_allowed and d.acknowledgements


def test_rf05_two_features_are_urgent_and_age_counts_as_one():
    assert decide(with_(age=51, night_pain=True)).outcome is Outcome.URGENT
    assert decide(with_(age=50, night_pain=True)).outcome is Outcome.SOON


def test_rf05_age_threshold_is_configurable():
    assert decide(with_(age=53, night_pain=True), age_threshold=55).outcome is Outcome.SOON


def test_rf05_no_improvement_counts_only_in_a_new_unassessed_episode():
    assessed = with_(no_improvement_after_month=True, new_episode=True, medically_assessed=True)
    assert decide(assessed).outcome is Outcome.PROCEED
    unassessed = with_(no_improvement_after_month=True, new_episode=True,
                       medically_assessed=False)
    assert decide(unassessed).outcome is Outcome.SOON


def test_rf06_fever_is_an_emergency_and_a_risk_factor_with_new_pain_urgent():
    assert decide(with_(fever_or_chills=True)).outcome is Outcome.EMERGENCY
    assert decide(with_(iv_drug_use=True, new_episode=True)).outcome is Outcome.URGENT
    assert decide(with_(medication_classes=frozenset({"immunosuppressant"}),
                        new_episode=True)).outcome is Outcome.URGENT
    # Issue #26: a risk factor with unchanged pain is a precaution, not a referral.
    assert decide(with_(iv_drug_use=True)).outcome is Outcome.PRECAUTIONS


def test_rf07_major_trauma_is_an_emergency():
    assert decide(with_(major_trauma=True)).outcome is Outcome.EMERGENCY


@pytest.mark.parametrize("answers", [
    {"minor_trauma": True, "osteoporosis": True},
    {"minor_trauma": True, "medication_classes": frozenset({"corticosteroid"})},
    {"minor_trauma": True, "age": 66, "sex_at_birth": "male"},
    {"minor_trauma": True, "age": 76, "sex_at_birth": "female"},
    {"abrupt_midline_pain_eased_lying": True},
])
def test_rf08_fragility_fracture_features_are_soon_with_acknowledgement(answers):
    d = decide(with_(**answers))
    assert "RF-08" in fired(d) and d.outcome is Outcome.SOON and d.needling_allowed


def test_rf08_minor_trauma_in_a_70_year_old_woman_alone_does_not_fire():
    assert "RF-08" not in fired(decide(with_(minor_trauma=True, age=70, sex_at_birth="female")))


def test_rf09_flank_pain_with_collapse_or_a_pulsatile_mass_is_an_emergency():
    assert decide(with_(abdominal_or_flank_pain=True, collapse=True)).outcome is Outcome.EMERGENCY
    assert decide(with_(abdominal_or_flank_pain=True,
                        pulsatile_abdominal_mass=True)).outcome is Outcome.EMERGENCY
    assert decide(with_(abdominal_or_flank_pain=True)).outcome is Outcome.PROCEED


SPA = {"back_pain_onset_age": 30, "back_pain_duration_weeks": 20}  # onset < 35 counts as one


def test_rf10_four_features_refer_to_rheumatology():
    d = decide(with_(**SPA, buttock_pain=True, improves_with_movement=True,
                     psoriasis_history=True))
    [finding] = [f for f in d.findings if f.rule_id == "RF-10"]
    assert finding.outcome is Outcome.SOON and "rheumatology" in finding.note


def test_rf10_three_features_ask_for_hla_b27():
    d = decide(with_(**SPA, buttock_pain=True, improves_with_movement=True))
    [finding] = [f for f in d.findings if f.rule_id == "RF-10"]
    assert "HLA-B27" in finding.note


def test_rf10_needs_onset_before_45_and_more_than_3_months():
    features = {"buttock_pain": True, "improves_with_movement": True, "psoriasis_history": True,
                    "enthesitis_history": True}
    assert "RF-10" not in fired(decide(with_(back_pain_onset_age=46,
                                             back_pain_duration_weeks=20, **features)))
    assert "RF-10" not in fired(decide(with_(back_pain_onset_age=30,
                                             back_pain_duration_weeks=12, **features)))


def test_rf10_two_features_are_not_a_referral():
    assert "RF-10" not in fired(decide(with_(**SPA, buttock_pain=True)))


@pytest.mark.parametrize("kind", ["pacemaker", "icd", "neurostimulator", "pump",
                                  "other_electrical"])
def test_an_implanted_electrical_device_forbids_ea_and_blocks_its_region(kind):
    d = decide(with_(devices=(Device(kind, region="chest"),)))
    assert not d.electroacupuncture_allowed and d.needling_allowed
    assert "chest" in d.blocked_regions


def test_a_removed_device_no_longer_counts():
    d = decide(with_(devices=(Device("pacemaker", "chest", date(2010, 1, 1),
                                     date(2020, 1, 1)),)))
    assert d.electroacupuncture_allowed


def test_pregnancy_blocks_the_named_points_the_lumbosacral_regions_and_ea():
    d = decide(with_(pregnant=True, gestational_weeks=20))
    assert {"LI4", "SP6", "BL60", "BL67", "BL31", "BL32", "BL33", "BL34", "GB21"} <= d.blocked_points
    assert {"lower_back", "sacral", "abdomen"} <= d.blocked_regions
    assert not d.electroacupuncture_allowed and d.acknowledgements


@pytest.mark.parametrize("answers, rule, needling", [
    ({"unstable_condition": True}, "CI-UNSTABLE", False),
    ({"bleeding_disorder": True}, "CI-BLEEDING", False),
    ({"medication_classes": frozenset({"anticoagulant"})}, "CI-ANTICOAG", True),
    ({"medication_classes": frozenset({"antiplatelet"})}, "CI-ANTIPLATELET", True),
    ({"skin_problem_regions": frozenset({"lower_back"})}, "CI-SKIN", True),
    ({"tumour_regions": frozenset({"sacral"})}, "CI-TUMOUR", True),
    ({"severe_neutropenia": True}, "CI-NEUTROPENIA", False),
    ({"damaged_heart_valve": True}, "CI-VALVE", True),
    ({"spinal_instability": True}, "CI-SPINE", False),
    ({"lymphoedema_regions": frozenset({"upper_limb"})}, "CI-LYMPH", True),
    ({"involuntary_movements": True}, "CI-MOVEMENT", False),
    ({"cannot_consent": True}, "CI-CONSENT", False),
    ({"needle_phobia": True}, "CI-PHOBIA", True),
    ({"epilepsy": True}, "CI-EPILEPSY", True),
    ({"nickel_allergy": True}, "CI-NICKEL", True),
    ({"diabetes": True}, "CI-DIABETES", True),
    ({"hungry_or_exhausted_today": True}, "CI-TODAY-WEAK", True),
    ({"intoxicated_today": True}, "CI-TODAY-INTOX", False),
    ({"fainted_with_needling_before": True}, "CI-FAINTED", True),
])
def test_each_condition_fires_its_rule_with_its_action(answers, rule, needling):
    d = decide(with_(**answers))
    assert rule in fired(d)
    assert d.needling_allowed is needling
    assert d.outcome >= Outcome.PRECAUTIONS


def test_epilepsy_forbids_ea():
    assert not decide(with_(epilepsy=True)).electroacupuncture_allowed


def test_region_rules_block_their_regions():
    d = decide(with_(skin_problem_regions=frozenset({"lower_back"}),
                     lymphoedema_regions=frozenset({"upper_limb"})))
    assert {"lower_back", "upper_limb"} <= d.blocked_regions


@pytest.mark.parametrize("answers, field", [
    ({"gestational_weeks": 43, "pregnant": True}, "gestational_weeks"),
    ({"gestational_weeks": 10, "pregnant": False}, "gestational_weeks"),
    ({"age": 40, "back_pain_onset_age": 41}, "back_pain_onset_age"),
    ({"devices": (Device("pacemaker", "chest", date(2020, 1, 1), date(2019, 1, 1)),)}, "devices"),
    ({"skin_problem_regions": frozenset({"elbow"})}, "skin_problem_regions"),
    ({"medication_classes": frozenset({"herbs"})}, "medication_classes"),
    ({"pregnant": True, "sex_at_birth": "male"}, "pregnant"),
])
def test_impossible_answers_are_refused_naming_the_field(answers, field):
    with pytest.raises(InvalidAnswer) as excinfo:
        decide(with_(**answers))
    assert excinfo.value.field == field


# --- properties --------------------------------------------------------------------

BOOL_FIELDS = [f.name for f in dataclasses.fields(Answers) if f.type == "bool | None"]
RED_FLAG_FIELDS = [n for n in BOOL_FIELDS if n not in {"medically_assessed", "new_episode",
                                                        "pregnant"}]

answers_strategy = st.builds(
    Answers,
    age=st.none() | st.integers(18, 95),
    sex_at_birth=st.sampled_from([None, "female", "male"]),
    back_pain_onset_age=st.none() | st.integers(10, 17),
    back_pain_duration_weeks=st.none() | st.floats(0, 600),
    gestational_weeks=st.none(),
    medication_classes=st.frozensets(st.sampled_from(["anticoagulant", "antiplatelet",
                                                       "corticosteroid", "immunosuppressant"])),
    devices=st.lists(st.builds(Device, kind=st.sampled_from(["pacemaker", "icd", "pump",
                                                             "other_non_electrical"]),
                               region=st.sampled_from([None, "chest", "abdomen"])),
                     max_size=2).map(tuple),
    **{name: st.none() | st.booleans() for name in BOOL_FIELDS},
).filter(lambda a: not (a.pregnant and a.sex_at_birth == "male"))


@given(answers_strategy, st.sampled_from(RED_FLAG_FIELDS))
def test_adding_a_red_flag_never_lowers_urgency(answers, flag):
    if getattr(answers, flag) is True:
        return
    before = decide(answers)
    after = decide(dataclasses.replace(answers, **{flag: True}))
    assert after.outcome >= before.outcome
    if not before.needling_allowed:
        assert not after.needling_allowed


@given(answers_strategy, st.sampled_from(["pacemaker", "icd", "neurostimulator", "pump",
                                          "other_electrical"]))
def test_any_implanted_electrical_device_always_forbids_ea(answers, kind):
    d = decide(dataclasses.replace(answers, devices=answers.devices + (Device(kind),)))
    assert not d.electroacupuncture_allowed


@given(answers_strategy)
def test_any_emergency_always_forbids_needling(answers):
    d = decide(answers)
    if d.outcome is Outcome.EMERGENCY or any(f.outcome is Outcome.EMERGENCY for f in d.findings):
        assert not d.needling_allowed and not d.electroacupuncture_allowed


@given(answers_strategy)
def test_the_decision_is_deterministic_and_explains_itself(answers):
    first, second = decide(answers), decide(answers)
    assert first == second
    if first.outcome is not Outcome.PROCEED or not first.needling_allowed:
        assert first.findings and all(f.note and f.sources for f in first.findings)
    if not first.needling_allowed:
        assert any(f.actions & {Action.BLOCK_NEEDLING, Action.DEFER_REFER}
                   for f in first.findings)


def test_every_rule_cites_a_source_listed_in_the_safety_document():
    known = {"IFOMPT", "CKS", "NG59-summary", "ACP2011", "Glos", "Cornwall-BASS", "BMJ-CES",
             "NHS-slide", "NG234", "HeyNeuro", "NG65", "NHSL-axSpA", "BJGP", "BMJ-AAA", "Relias",
             "WHO1999-TOC", "WHO1999-2.1", "Physiopedia", "AACP", "AACP-list", "Goldfields",
             "Sierpina", "Rapson", "AIM-contra", "BAcC-anticoag", "BAcC-pacemaker",
             "Cummings2011", "NZASA", "ShenNong", "Stason", "EA-clinic", "Nickel",
             "Cochrane-GERAC", "Cochrane-Cherkin", "Williams2013", "Tsai2013", "Samuels2005",
             "Downie2013", "Houghton2010"}
    for rule in RULES:
        assert rule.sources and set(rule.sources) <= known, rule.id
    assert len({r.id for r in RULES}) == len(RULES)


def test_the_docs_show_exactly_the_rule_set():
    doc = (Path(__file__).parents[2] / "docs" / "clinical-safety.md").read_text()
    start = doc.index("<!-- rules:start -->") + len("<!-- rules:start -->\n")
    end = doc.index("<!-- rules:end -->")
    assert doc[start:end] == rules_markdown(), (
        "docs/clinical-safety.md is out of date: regenerate the table with "
        "`python -c 'from acuback.clinical.safety import rules_markdown; print(rules_markdown())'`")


@given(answers_strategy)
def test_answers_survive_a_round_trip_through_json(answers):
    import json

    from acuback.clinical.safety import answers_from_json, answers_to_json

    stored = json.loads(json.dumps(answers_to_json(answers)))
    assert answers_from_json(stored) == answers
