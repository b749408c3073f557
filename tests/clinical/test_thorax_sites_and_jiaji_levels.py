"""Issue #26 clinician re-test: an Ashi point over the chest wall or upper back (T1-T12
paraspinal, the chest) did not require the pneumothorax symptom check, and EX-B2
(Huatuojiaji) left-right pairs at lumbar levels were refused as crossing the thoracic
spine. Any needle site over the thorax, named or Ashi, needs the check; an EX-B2 pair is
refused only when its level is cervical or thoracic, or not recorded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import electrodes, points

JIAJI = points.lookup("EX-B2")


@pytest.mark.parametrize("text", ["left T6 paraspinal", "T12 right", "right chest wall",
                                  "between the shoulder blades", "left 5th intercostal space",
                                  "upper trapezius, supraclavicular", "thoracic paraspinal",
                                  "tender spot"])  # no region named: unknown is not "no"
def test_an_ashi_site_over_the_thorax_or_unplaced_needs_the_symptom_check(text):
    assert points.site_needs_chest_check(None, text)


@pytest.mark.parametrize("text", ["left L4 paraspinal", "L5-S1 right", "right buttock",
                                  "left calf", "sacral, S2 left", "lumbar paraspinal"])
def test_an_ashi_site_below_the_thorax_needs_no_symptom_check(text):
    assert not points.site_needs_chest_check(None, text)


@given(st.integers(1, 12), st.sampled_from(["left", "right", ""]))
def test_every_thoracic_level_needs_the_check(level, side):
    assert points.site_needs_chest_check(None, f"{side} T{level} paraspinal".strip())


def test_jiaji_at_a_lumbar_level_needs_no_check_and_unknown_does():
    assert not points.site_needs_chest_check(JIAJI, "L3")
    assert points.site_needs_chest_check(JIAJI, "T7")
    assert points.site_needs_chest_check(JIAJI, "")


def pair(level_left: str, level_right: str) -> list[electrodes.PairProblem]:
    rows = [{"point_code": "EX-B2", "side": "left", "location_text": level_left,
             "needle_set": 1, "stimulation": "electrical", "paired_with": "EX-B2",
             "paired_side": "right"},
            {"point_code": "EX-B2", "side": "right", "location_text": level_right,
             "needle_set": 1, "stimulation": "manual"}]
    return electrodes.pair_problems(rows)


@pytest.mark.parametrize("level", ["L2", "L4", "L5", "lumbar", "L3-L4"])
def test_a_jiaji_left_right_pair_at_a_lumbar_level_is_allowed(level):
    assert pair(level, level) == []


@pytest.mark.parametrize(("left", "right"), [("T8", "T8"), ("", ""), ("L3", ""), ("C6", "C6"),
                                             ("T12-L1", "L1"), ("L3", "T10")])
def test_a_jiaji_pair_at_a_thoracic_cervical_or_unknown_level_is_refused(left, right):
    problems = pair(left, right)
    assert problems and "refused" in problems[0].message


def test_a_bilateral_jiaji_row_paired_with_itself_reads_its_own_level():
    row = {"point_code": "EX-B2", "side": "bilateral", "location_text": "L4",
           "needle_set": 1, "stimulation": "electrical", "paired_with": "EX-B2",
           "paired_side": ""}
    assert electrodes.pair_problems([row]) == []
    assert electrodes.pair_problems([dict(row, location_text="T4")])
