"""Issue #26 item 9, third pass: the pregnancy rule's regional block of the lower back and
sacrum is a documented clinic setting. By default it follows WHO 1999 (lumbosacral points
avoided throughout pregnancy); a clinic's clinical lead may lift the regional part, and
then the lower back and sacrum are allowed with an acknowledgement, while the classic
forbidden points (BL31-BL34, BL60, BL67, LI4, SP6, GB21), the abdomen and the ban on
electroacupuncture stay."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.safety import PREGNANCY_BLOCKED_POINTS, Answers, decide

YES_NO = [f.name for f in dataclasses.fields(Answers) if f.type == "bool | None"]
PREGNANT = Answers(**{**dict.fromkeys(YES_NO, False), "pregnant": True}, age=30,
                   sex_at_birth="female", back_pain_onset_age=30, back_pain_duration_weeks=2.0,
                   first_back_pain_age=30, gestational_weeks=20)


def test_by_default_the_lower_back_and_sacrum_are_blocked_in_pregnancy():
    d = decide(PREGNANT)
    assert {"abdomen", "lower_back", "sacral"} <= d.blocked_regions


@given(weeks=st.none() | st.integers(0, 42))
def test_a_clinic_may_lift_the_lumbosacral_regions_but_not_the_classic_points(weeks):
    d = decide(dataclasses.replace(PREGNANT, gestational_weeks=weeks,
                                   pregnancy_lumbosacral_blocked=False))
    assert "lower_back" not in d.blocked_regions and "sacral" not in d.blocked_regions
    assert "abdomen" in d.blocked_regions
    assert set(PREGNANCY_BLOCKED_POINTS) <= d.blocked_points
    assert not d.electroacupuncture_allowed and d.needling_allowed
    assert any("lower back and sacrum" in a for a in d.acknowledgements)


def test_the_setting_changes_nothing_for_a_patient_who_is_not_pregnant():
    not_pregnant = dataclasses.replace(PREGNANT, pregnant=False, gestational_weeks=None)
    assert decide(not_pregnant) == decide(dataclasses.replace(
        not_pregnant, pregnancy_lumbosacral_blocked=False))
