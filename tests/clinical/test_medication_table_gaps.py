"""Issue #26 clinician re-test of the medication table: biologic immunosuppressants
(Humira, Enbrel, Actemra, Remicade...), Aggrenox (aspirin + dipyridamole) and Zontivity
(vorapaxar) were missing, and a name the table does not know (a misspelt "warfrin") was
silently read as harmless. Unknown names now need the clinician's choice of class."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import medications
from acuback.clinical.medications import PatientLists
from acuback.clinical.safety import InvalidAnswer, decide, with_lists
from tests.clinical.test_medication_lists import BLANK_MEDS, rules


@pytest.mark.parametrize(("name", "generic", "atc"), [
    ("Humira", "adalimumab", "L04AB"), ("adalimumab", "adalimumab", "L04AB"),
    ("Enbrel", "etanercept", "L04AB"), ("Remicade", "infliximab", "L04AB"),
    ("Cimzia", "certolizumab pegol", "L04AB"), ("Simponi", "golimumab", "L04AB"),
    ("Actemra", "tocilizumab", "L04AC"), ("RoActemra", "tocilizumab", "L04AC"),
    ("Stelara", "ustekinumab", "L04AC"), ("Cosentyx", "secukinumab", "L04AC"),
    ("Kineret", "anakinra", "L04AC")])
def test_biologic_immunosuppressants_are_immunosuppressants(name, generic, atc):
    drug = medications.drug_for(name)
    assert drug and drug.generic == generic and drug.drug_class == "immunosuppressant"
    assert drug.atc_group == atc
    answers = with_lists(BLANK_MEDS, PatientLists(medications=(name,)))
    assert "CI-IMMUNO" in rules(decide(answers))


@pytest.mark.parametrize("name", ["Aggrenox", "aspirin/dipyridamole",
                                  "aspirin and dipyridamole", "Zontivity", "vorapaxar"])
def test_aggrenox_and_zontivity_are_antiplatelets(name):
    assert medications.class_of(name) == "antiplatelet"
    answers = with_lists(BLANK_MEDS, PatientLists(medications=(name,)))
    assert "CI-ANTIPLATELET" in rules(decide(answers))


def test_aggrenox_counts_its_two_antiplatelets():
    answers = with_lists(BLANK_MEDS, PatientLists(medications=("Aggrenox",)))
    assert answers.antithrombotic_agents == {"aspirin", "dipyridamole"}
    assert "CI-ANTITHROMBOTIC-2" in rules(decide(answers))


def test_an_unknown_name_with_no_class_chosen_is_not_read_as_harmless():
    with pytest.raises(InvalidAnswer) as refused:
        with_lists(BLANK_MEDS, PatientLists(medications=("warfrin",)))
    assert refused.value.field == "takes_listed_medicines"
    assert "warfrin" in refused.value.message and "class" in refused.value.message


def test_the_class_the_clinician_chose_is_read_like_the_tables():
    lists = PatientLists(medications=("warfrin",), chosen_classes=(("warfrin",
                                                                    "anticoagulant"),))
    d = decide(with_lists(BLANK_MEDS, lists))
    assert "CI-ANTICOAG" in rules(d) and "ASK" not in rules(d)
    lists = PatientLists(medications=("warfrin", "aspirin"),
                         chosen_classes=(("warfrin", "anticoagulant"),))
    assert "CI-ANTITHROMBOTIC-2" in rules(decide(with_lists(BLANK_MEDS, lists)))


def test_none_of_the_classes_is_a_recorded_answer_not_a_silence():
    lists = PatientLists(medications=("paracetamol",), chosen_classes=(("paracetamol",
                                                                        "none"),))
    answers = with_lists(BLANK_MEDS, lists)
    assert answers.takes_listed_medicines is None  # still asked (rule ASK)


@given(st.text(alphabet="xyzqvk", min_size=3, max_size=12))
def test_any_unknown_name_needs_a_class(name):
    with pytest.raises(InvalidAnswer):
        with_lists(BLANK_MEDS, PatientLists(medications=(name,)))
