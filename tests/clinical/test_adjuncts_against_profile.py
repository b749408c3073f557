"""Issue #26 item 9, clinician re-test: cupping was accepted and signed for a patient with a
cleared haemophilia and for one on two antithrombotics. Adjunct therapies (cupping, gua
sha, moxibustion, heat, electrical stimulation without needles) are recorded with their
body region and checked against the patient's profile as needles are."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acuback.clinical import adjuncts
from acuback.clinical.safety import REGIONS, Answers, Device, decide

YES_NO = [f.name for f in dataclasses.fields(Answers) if f.type == "bool | None"]
CLEAR = Answers(**dict.fromkeys(YES_NO, False), age=40, sex_at_birth="female",
                back_pain_onset_age=40, back_pain_duration_weeks=2.0, first_back_pain_age=40)


def refused(answers: Answers, kind: str, region: str) -> list[str]:
    blocks = [b for f in decide(answers).findings for b in f.adjunct_blocks]
    return adjuncts.problems(blocks, [{"kind": kind, "region": region}])


@pytest.mark.parametrize("changes", [
    {"bleeding_disorder": True},
    {"bleeding_disorder": None, "diagnosis_codes": frozenset({"D69.6"})},  # low platelets
    {"takes_listed_medicines": True, "medication_classes": frozenset({"anticoagulant"})},
    {"takes_listed_medicines": True,
     "medication_classes": frozenset({"anticoagulant", "antiplatelet"})},
], ids=["bleeding-disorder", "thrombocytopenia", "anticoagulant", "two-antithrombotics"])
@pytest.mark.parametrize("kind", ["cupping", "gua_sha"])
def test_bleeding_risk_refuses_cupping_and_gua_sha_everywhere_with_the_reason(changes, kind):
    answers = dataclasses.replace(CLEAR, **changes)
    for region in REGIONS:
        problems = refused(answers, kind, region)
        assert problems and "bleeding risk" in problems[-1]
    assert refused(answers, "heat", "lower_back") == []


def test_without_a_finding_every_adjunct_is_allowed_anywhere():
    for kind in adjuncts.SITED:
        for region in REGIONS:
            assert refused(CLEAR, kind, region) == []


def test_reduced_feeling_refuses_moxibustion_and_heat_there_only():
    answers = dataclasses.replace(CLEAR, has_sensation_loss=True,
                                  sensation_loss_regions=frozenset({"lower_limb"}))
    assert "a burn would not be felt" in refused(answers, "moxibustion", "lower_limb")[-1]
    assert refused(answers, "heat", "lower_limb")
    assert refused(answers, "heat", "lower_back") == []
    assert refused(answers, "cupping", "lower_limb") == []


def test_the_reduced_feeling_question_left_blank_blocks_needling_and_is_named():
    d = decide(dataclasses.replace(CLEAR, has_sensation_loss=None))
    assert not d.needling_allowed
    assert "has_sensation_loss" in next(f.questions for f in d.findings if f.rule_id == "ASK")
    d = decide(dataclasses.replace(CLEAR, has_sensation_loss=True))
    assert not d.needling_allowed  # a yes that names no region is still unknown


@pytest.mark.parametrize(("question", "listed"), [
    ("has_skin_problem", "skin_problem_regions"), ("has_tumour", "tumour_regions"),
    ("has_lymphoedema", "lymphoedema_regions")])
def test_a_skin_tumour_or_lymphoedema_region_refuses_every_adjunct_there(question, listed):
    answers = dataclasses.replace(CLEAR, **{question: True, listed: frozenset({"upper_limb"})})
    for kind in adjuncts.SITED:
        assert refused(answers, kind, "upper_limb"), kind
        assert refused(answers, kind, "lower_back") == [], kind


@pytest.mark.parametrize(("weeks", "blocked"), [(None, True), (8, True), (12, True),
                                                (20, False)])
def test_pregnancy_refuses_moxibustion_low_in_the_first_trimester_or_weeks_unknown(weeks,
                                                                                   blocked):
    answers = dataclasses.replace(CLEAR, pregnant=True, gestational_weeks=weeks)
    for region in ("abdomen", "lower_back", "sacral"):
        assert bool(refused(answers, "moxibustion", region)) is blocked
    assert refused(answers, "moxibustion", "lower_limb") == []


@pytest.mark.parametrize("changes", [
    {"has_implanted_device": True, "devices": (Device("pacemaker", "chest"),)},
    {"epilepsy": True}, {"pregnant": True, "gestational_weeks": 30}])
def test_electrical_stimulation_without_needles_follows_the_electroacupuncture_block(changes):
    answers = dataclasses.replace(CLEAR, **changes)
    assert "no electrical stimulation" in refused(answers, "tens", "lower_back")[-1]
    assert refused(CLEAR, "tens", "lower_back") == []


@pytest.mark.parametrize(("device", "kinds"), [
    (Device("pacemaker", "chest"), ("cupping", "moxibustion", "gua_sha", "heat")),
    (Device("pump", "abdomen"), ("heat", "moxibustion", "cupping")),
])
def test_an_implanted_device_refuses_every_adjunct_over_it(device, kinds):
    """Issue #26 clinician re-test: a pacemaker in the chest accepted cupping, moxibustion
    and gua sha over the chest; a pump in the abdomen accepted heat over the abdomen."""
    answers = dataclasses.replace(CLEAR, has_implanted_device=True, devices=(device,))
    for kind in kinds:
        problems = refused(answers, kind, device.region)
        assert problems and "nothing is applied over it" in problems[-1], kind
        assert refused(answers, kind, "lower_limb") == [], kind


def test_an_adjunct_without_its_region_is_refused_asking_for_it():
    problems = adjuncts.problems((), [{"kind": "cupping", "region": ""}, "heat"])
    assert len(problems) == 2 and all("record where" in p for p in problems)
    assert adjuncts.problems((), [{"kind": "exercise_advice", "region": ""}]) == []


# An independent reading of the table: what each profile refuses, and where.
def expected_refusal(a: Answers, kind: str, region: str) -> bool:
    classes = a.medication_classes
    bleeding = bool(a.bleeding_disorder) or bool(classes & {"anticoagulant", "antiplatelet"})
    if kind in ("cupping", "gua_sha") and bleeding:
        return True
    if kind in ("moxibustion", "heat") and region in a.sensation_loss_regions:
        return True
    devices = {d.region for d in a.devices if d.electrical and d.region}
    if kind != "exercise_advice" and region in (a.skin_problem_regions | a.tumour_regions
                                                | a.lymphoedema_regions | devices):
        return True
    early = a.pregnant and (a.gestational_weeks is None or a.gestational_weeks <= 12)
    if kind == "moxibustion" and early and region in ("abdomen", "lower_back", "sacral"):
        return True
    electrical_block = a.epilepsy or a.pregnant or any(d.electrical for d in a.devices)
    return kind == "tens" and bool(electrical_block)


regions = st.frozensets(st.sampled_from(REGIONS), max_size=2)


@st.composite
def profiles(draw) -> Answers:
    classes = draw(st.frozensets(st.sampled_from(["anticoagulant", "antiplatelet"])))
    pregnant = draw(st.booleans())
    skin, tumour = draw(regions), draw(regions)
    lymph = draw(st.frozensets(st.sampled_from(["upper_limb", "lower_limb"])))
    feeling = draw(regions)
    devices = (Device(draw(st.sampled_from(["pacemaker", "pump", "neurostimulator"])),
                      draw(st.sampled_from(REGIONS))),) if draw(st.booleans()) else ()
    return dataclasses.replace(
        CLEAR, bleeding_disorder=draw(st.booleans()), epilepsy=draw(st.booleans()),
        takes_listed_medicines=bool(classes), medication_classes=classes,
        pregnant=pregnant, gestational_weeks=draw(st.sampled_from([None, 6, 12, 13, 30]))
        if pregnant else None,
        has_skin_problem=bool(skin), skin_problem_regions=skin,
        has_tumour=bool(tumour), tumour_regions=tumour,
        has_lymphoedema=bool(lymph), lymphoedema_regions=lymph,
        has_sensation_loss=bool(feeling), sensation_loss_regions=feeling,
        has_implanted_device=bool(devices), devices=devices)


@settings(max_examples=200, deadline=None)
@given(profiles(), st.sampled_from(sorted(adjuncts.SITED)), st.sampled_from(REGIONS))
def test_the_profile_refuses_exactly_what_the_table_says(answers, kind, region):
    assert bool(refused(answers, kind, region)) is expected_refusal(answers, kind, region)
