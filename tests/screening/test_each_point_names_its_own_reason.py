"""Clinician re-test of issue #26 (item 6): LI4, SP6, GB21, BL60 and BL67 showed
"Pregnancy (abdomen, lower back, sacral)" as their reason instead of the classic
forbidden-points reason. Each blocked point names its own reason: a named point the
reason it is named for, a point in a blocked region that region."""

from __future__ import annotations

import pytest

from acuback.clinical import points
from acuback.clinical.safety import PREGNANCY_BLOCKED_POINTS
from acuback.screening.selectors import PREGNANCY_POINTS, safety_profile
from tests.factories import clinic_today, make_signed_screening

REGION_WORDS = ("abdomen", "lower back", "sacral")


@pytest.fixture
def pregnant(world):
    make_signed_screening(world.patient, world.practitioner, pregnant=True,
                          gestational_weeks=20)
    return safety_profile(patient=world.patient, on=clinic_today(world.location))


@pytest.mark.parametrize("code", ["LI4", "SP6", "GB21", "BL60", "BL67"])
def test_a_forbidden_point_names_the_forbidden_points_reason(pregnant, code):
    why = pregnant.reason_for(code)
    assert "forbidden in pregnancy" in why, why
    assert not any(word in why for word in REGION_WORDS), why


def test_a_point_in_a_blocked_region_names_the_region(pregnant):
    why = pregnant.reason_for("BL23")
    assert "lower back" in why and "forbidden" not in why


def test_a_named_point_inside_a_blocked_region_names_both(pregnant):
    why = pregnant.reason_for("BL32")
    assert "forbidden in pregnancy" in why and "sacral" in why


def test_every_blocked_point_is_given_a_region_only_when_it_lies_there(pregnant):
    inside = {p.code for p in points.in_regions({"abdomen", "lower_back", "sacral"})}
    named = set(PREGNANCY_BLOCKED_POINTS) | set(PREGNANCY_POINTS)
    for code in pregnant.blocked_points:
        why = pregnant.reason_for(code)
        if "(abdomen, lower back, sacral)" in why:
            assert code in inside, (code, why)
        if "forbidden in pregnancy" in why:
            assert code in named, (code, why)
        if code not in inside:
            assert not any(word in why for word in REGION_WORDS), (code, why)
