"""Issue #26 item 4: the medication, allergy and problem lists the rules read.

Before: a checkbox said "anticoagulant"; INR 4.5 and INR 2.0 gave the same result, and
warfarin + aspirin + clopidogrel gave two acknowledgements and nothing more."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import medications
from acuback.clinical.medications import LabValue, PatientLists
from acuback.clinical.safety import Answers, InvalidAnswer, decide, with_lists

YES_NO = [f.name for f in dataclasses.fields(Answers) if f.type == "bool | None"]
ALL_NO = Answers(**dict.fromkeys(YES_NO, False), age=40, sex_at_birth="male",
                 back_pain_onset_age=40, back_pain_duration_weeks=2.0, first_back_pain_age=40)
# The medicines question not yet answered: the list answers it.
BLANK_MEDS = dataclasses.replace(ALL_NO, takes_listed_medicines=None)

ALL_NAMES = [(name, drug) for drug in medications.DRUGS
             for name in (drug.generic, *drug.other_names)]


def rules(decision) -> set[str]:
    return {f.rule_id for f in decision.findings}


def spellings(name: str):
    """The same name as a person might type it: any case, padded, hyphen or spaces."""
    return st.tuples(st.lists(st.booleans(), min_size=len(name), max_size=len(name)),
                     st.sampled_from(["", " ", "  ", "\t"]),
                     st.sampled_from(["", " ", "\n"]),
                     st.sampled_from([" ", "  ", "-"])).map(
        lambda t: t[1] + "".join(c.upper() if up else c.lower()
                                 for c, up in zip(name, t[0], strict=True)
                                 ).replace(" ", t[3]) + t[2])


@given(st.sampled_from(ALL_NAMES).flatmap(
    lambda pair: st.tuples(st.just(pair[1]), spellings(pair[0]))))
def test_every_name_in_any_case_or_spacing_maps_to_its_class(pair):
    drug, typed = pair
    assert medications.drug_for(typed) == drug
    assert medications.class_of(typed) == drug.drug_class


@given(st.sampled_from(medications.DRUGS))
def test_brand_names_map_to_the_same_drug_as_the_generic(drug):
    for brand in drug.other_names:
        assert medications.drug_for(brand).generic == drug.generic


@pytest.mark.parametrize("typed,generic", [
    ("Warfarin sodium", "warfarin"), ("Coumadin", "warfarin"), ("ELIQUIS", "apixaban"),
    ("Xarelto", "rivaroxaban"), ("Pradaxa", "dabigatran"), ("dabigatran etexilate",
                                                            "dabigatran"),
    ("Lixiana", "edoxaban"), ("Clexane", "enoxaparin"), ("Plavix", "clopidogrel"),
    ("clopidogrel bisulfate", "clopidogrel"), ("Brilinta", "ticagrelor"),
    ("Effient", "prasugrel"), ("acetylsalicylic acid", "aspirin"), ("Aspirin 75mg", "aspirin"),
    ("warfarin 2.5 mg tablets", "warfarin"), ("Eliquis 5 mg twice daily", "apixaban")])
def test_generic_brand_and_salt_names(typed, generic):
    assert medications.drug_for(typed).generic == generic


@given(st.text(alphabet="xyzqvk ", min_size=1, max_size=12))
def test_an_unknown_name_has_no_class(name):
    assert medications.class_of(name) is None


def test_a_listed_anticoagulant_answers_yes_and_raises_the_same_finding():
    from_list = decide(with_lists(BLANK_MEDS, PatientLists(medications=("Coumadin 5 mg",))))
    from_question = decide(dataclasses.replace(
        ALL_NO, takes_listed_medicines=True, medication_classes=frozenset({"anticoagulant"})))
    assert "CI-ANTICOAG" in rules(from_list) and "CI-ANTICOAG" in rules(from_question)
    assert "ASK" not in rules(from_list)  # the list answered the medicines question


def test_a_list_contradicting_an_explicit_no_is_refused_naming_the_question():
    with pytest.raises(InvalidAnswer) as e:
        with_lists(ALL_NO, PatientLists(medications=("warfarin",)))
    assert e.value.field == "takes_listed_medicines" and "warfarin" in e.value.message


def test_an_unknown_name_on_the_list_does_not_answer_the_question():
    # Classed "none of these" by the clinician (an unclassed unknown name is refused:
    # tests/clinical/test_medication_table_gaps.py).
    answers = with_lists(BLANK_MEDS, PatientLists(medications=("paracetamol",),
                                                  chosen_classes=(("paracetamol", "none"),)))
    assert answers.takes_listed_medicines is None  # still asked (rule ASK)
    assert "ASK" in rules(decide(answers))


def test_inr_45_and_inr_20_differ_in_what_the_check_shows():
    high = decide(with_lists(BLANK_MEDS, PatientLists(medications=("warfarin",),
                                                      inr=LabValue(4.5, 3))))
    usual = decide(with_lists(BLANK_MEDS, PatientLists(medications=("warfarin",),
                                                       inr=LabValue(2.0, 3))))
    assert high.acknowledgements != usual.acknowledgements
    assert any("INR 4.5 (3 days old)" in a for a in high.acknowledgements)
    assert any("INR 2 (3 days old)" in a for a in usual.acknowledgements)


def test_warfarin_without_an_inr_says_so():
    d = decide(with_lists(BLANK_MEDS, PatientLists(medications=("warfarin",))))
    assert any("no INR on record for warfarin" in a for a in d.acknowledgements)


def test_platelet_count_is_shown_with_its_age():
    d = decide(with_lists(BLANK_MEDS, PatientLists(medications=("clopidogrel",),
                                                   platelet_count=LabValue(95, 10))))
    assert any("platelet count 95 x10^9/L (10 days old)" in a for a in d.acknowledgements)


def test_warfarin_aspirin_clopidogrel_escalates_and_blocks_until_cleared():
    d = decide(with_lists(BLANK_MEDS, PatientLists(
        medications=("warfarin", "aspirin", "clopidogrel"))))
    combined = next(f for f in d.findings if f.rule_id == "CI-ANTITHROMBOTIC-2")
    assert not d.needling_allowed
    assert combined.note == "3 antithrombotic medicines together: aspirin, clopidogrel, warfarin"
    one = decide(with_lists(BLANK_MEDS, PatientLists(medications=("warfarin",))))
    assert one.needling_allowed and "CI-ANTITHROMBOTIC-2" not in rules(one)


def test_both_classes_named_at_the_screening_escalate_too():
    d = decide(dataclasses.replace(ALL_NO, takes_listed_medicines=True,
                                   medication_classes=frozenset({"anticoagulant",
                                                                 "antiplatelet"})))
    assert "CI-ANTITHROMBOTIC-2" in rules(d) and not d.needling_allowed


@pytest.mark.parametrize("herb", ["dan shen", "Danshen", "dong quai", "Ginkgo biloba"])
def test_a_bleeding_herb_with_an_antithrombotic_warns(herb):
    d = decide(with_lists(BLANK_MEDS, PatientLists(medications=("apixaban",), herbs=(herb,))))
    assert "CI-HERB-BLEED" in rules(d)
    alone = decide(with_lists(ALL_NO, PatientLists(herbs=(herb,))))
    assert "CI-HERB-BLEED" not in rules(alone)


def test_a_listed_nickel_allergy_answers_the_nickel_question():
    d = decide(with_lists(dataclasses.replace(ALL_NO, nickel_allergy=None),
                          PatientLists(allergies=frozenset({"metal_nickel"}))))
    assert "CI-NICKEL" in rules(d)
    with pytest.raises(InvalidAnswer) as e:
        with_lists(ALL_NO, PatientLists(allergies=frozenset({"metal_nickel"})))
    assert e.value.field == "nickel_allergy"


def test_a_problem_code_is_read_like_an_episode_code():
    asked = dataclasses.replace(ALL_NO, spinal_instability=None)
    d = decide(with_lists(asked, PatientLists(problem_codes=frozenset({"M53.2X6"}))))
    assert "CI-SPINE" in rules(d)
    with pytest.raises(InvalidAnswer, match="M53.2X6"):  # and a "no" is reconciled first
        decide(with_lists(ALL_NO, PatientLists(problem_codes=frozenset({"M53.2X6"}))))


@pytest.mark.parametrize(("name", "answers", "rule"), [
    ("prednisolone 5 mg", {"minor_trauma": True, "new_episode": True}, "RF-08"),
    ("Imuran", {}, "CI-IMMUNO"),
    ("Xarelto", {}, "CI-ANTICOAG"),
    ("Brilinta", {}, "CI-ANTIPLATELET"),
])
def test_every_class_on_the_list_feeds_the_rules_that_read_it(name, answers, rule):
    listed = decide(with_lists(dataclasses.replace(BLANK_MEDS, **answers),
                               PatientLists(medications=(name,))))
    unlisted = decide(dataclasses.replace(ALL_NO, **answers))
    assert rule in rules(listed) and rule not in rules(unlisted)
