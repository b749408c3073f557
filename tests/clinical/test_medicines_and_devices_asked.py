"""Clinician re-test of issue #26: medicines and implanted devices were tick boxes, so
"not asked" was stored as "none" and an anticoagulant never asked about counted as "no".
Each is now an answered question (yes / no, then which); blank is unknown and blocks
needling like every other unknown (rule ASK)."""

from __future__ import annotations

import dataclasses

import pytest

from acuback.clinical.safety import Answers, Device, answers_from_json, answers_to_json, decide

YES_NO = [f.name for f in dataclasses.fields(Answers) if f.type == "bool | None"]
ALL_NO = Answers(**dict.fromkeys(YES_NO, False), age=40, sex_at_birth="male",
                 back_pain_onset_age=40, back_pain_duration_weeks=2.0, first_back_pain_age=40)
GATES = ("takes_listed_medicines", "has_implanted_device")


def asked(decision) -> tuple[str, ...]:
    return next((f.questions for f in decision.findings if f.rule_id == "ASK"), ())


@pytest.mark.parametrize("gate", GATES)
def test_a_medicines_or_devices_question_left_blank_blocks_needling_and_is_named(gate):
    d = decide(dataclasses.replace(ALL_NO, **{gate: None}))
    assert not d.needling_allowed
    assert gate in asked(d)


def test_yes_with_nothing_named_is_still_unknown():
    d = decide(dataclasses.replace(ALL_NO, takes_listed_medicines=True))
    assert not d.needling_allowed and "takes_listed_medicines" in asked(d)
    d = decide(dataclasses.replace(ALL_NO, has_implanted_device=True))
    assert not d.needling_allowed and "has_implanted_device" in asked(d)


def test_answered_no_proceeds_and_yes_with_the_medicine_gives_its_precaution():
    assert decide(ALL_NO).needling_allowed
    d = decide(dataclasses.replace(ALL_NO, takes_listed_medicines=True,
                                   medication_classes=frozenset({"anticoagulant"})))
    assert d.needling_allowed and any("Anticoagulant" in a for a in d.acknowledgements)
    d = decide(dataclasses.replace(ALL_NO, has_implanted_device=True,
                                   devices=(Device("pacemaker", "chest"),)))
    assert d.needling_allowed and not d.electroacupuncture_allowed


def test_screenings_stored_before_the_questions_stay_readable():
    """A ticked box was an answer; an empty list was never asked."""
    old = answers_to_json(dataclasses.replace(ALL_NO,
                                              medication_classes=frozenset({"anticoagulant"})))
    for gate in GATES:
        old.pop(gate)
    read = answers_from_json(old)
    assert read.takes_listed_medicines is True and read.medication_classes == {"anticoagulant"}
    assert read.has_implanted_device is None
    d = decide(read)
    assert not d.needling_allowed and asked(d) == ("has_implanted_device",)
