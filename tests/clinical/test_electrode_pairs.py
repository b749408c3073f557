"""Electroacupuncture lead pairs (safety.md §3.3): no current across the chest or heart,
along the cervical or thoracic cord, or across the head."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import electrodes, points
from acuback.clinical.electrodes import End


def end(code: str, side: str = "") -> End:
    point = points.lookup(code)
    return End(point, "midline" if point.midline else side)


def _ends_where(test):
    return st.builds(lambda p, s: End(p, "midline" if p.midline else s),
                     st.sampled_from([p for p in points.all_points() if test(p)]),
                     st.sampled_from(("left", "right")))


ANY_END = _ends_where(lambda p: True)


@pytest.mark.parametrize("a, b, reason", [
    (end("LI4", "left"), end("LI4", "right"), "across the chest"),
    (end("BL15", "left"), end("BL15", "right"), "thoracic spine"),
    (end("GV14"), end("GV4"), "spinal cord"),
    (end("ST8", "left"), end("ST8", "right"), "crosses the head"),
    (end("GV20"), end("LI4", "left"), "crosses the head"),
    (end("LU1", "left"), end("LU5", "left"), "chest wall"),
    (end("PC6", "left"), end("ST36", "left"), "through the trunk"),
    (end("GB20", "left"), end("GB20", "right"), "cervical"),
])
def test_pairs_across_the_chest_cord_or_head_are_refused(a, b, reason):
    assert reason in electrodes.refusal(a, b)
    assert reason in electrodes.refusal(b, a)


@pytest.mark.parametrize("a, b", [
    (end("BL23", "left"), end("BL25", "left")),
    (end("BL23", "left"), end("BL23", "right")),  # below the cord
    (end("GV4"), end("GV3")),
    (end("ST36", "left"), end("ST36", "right")),
    (end("GB30", "right"), end("BL40", "right")),
    (end("LI4", "left"), end("LI11", "left")),
    (end("BL18", "left"), end("BL23", "left")),  # on the back, one side
])
def test_low_back_and_same_limb_pairs_are_allowed(a, b):
    assert electrodes.refusal(a, b) is None


@given(a=ANY_END, b=ANY_END)
def test_the_rule_does_not_depend_on_which_end_is_named_first(a, b):
    assert (electrodes.refusal(a, b) is None) == (electrodes.refusal(b, a) is None)


@given(a=_ends_where(lambda p: "chest" in p.regions), b=ANY_END)
def test_an_electrode_on_the_chest_is_always_refused(a, b):
    assert electrodes.refusal(a, b) is not None


@given(a=_ends_where(lambda p: p.meridian == "GV" and set(p.regions) & {"neck", "upper_back"}),
       b=ANY_END)
def test_an_electrode_over_the_cervical_or_thoracic_cord_is_always_refused(a, b):
    assert electrodes.refusal(a, b) is not None


@given(a=_ends_where(lambda p: "upper_limb" in p.regions),
       b=_ends_where(lambda p: "upper_limb" in p.regions))
def test_arm_to_arm_across_the_body_is_always_refused(a, b):
    if a.side != b.side:
        assert "across the chest" in electrodes.refusal(a, b)


@given(a=_ends_where(lambda p: set(p.regions) <= {"lower_limb", "sacral", "lower_back"}
                     and p.meridian != "GV"),
       b=_ends_where(lambda p: set(p.regions) <= {"lower_limb", "sacral", "lower_back"}
                     and p.meridian != "GV"))
def test_pairs_below_the_cord_are_allowed(a, b):
    assert a == b or electrodes.refusal(a, b) is None


def row(code, side, stimulation="manual", paired_with="", paired_side="", needle_set=1):
    return {"point_code": code, "side": side, "stimulation": stimulation,
            "paired_with": paired_with, "paired_side": paired_side, "needle_set": needle_set}


def test_a_bilateral_site_paired_with_its_own_point_is_left_to_right():
    problems = electrodes.pair_problems([row("LI4", "bilateral", "electrical", "LI4")])
    assert problems[0].field == "paired_with"
    assert "LI4 left ↔ LI4 right refused" in problems[0].message


def test_a_bilateral_site_pairs_each_side_with_its_own_side():
    rows = [row("BL23", "bilateral", "electrical", "BL25"), row("BL25", "bilateral")]
    assert electrodes.pair_problems(rows) == []


def test_electrical_stimulation_without_a_pair_is_refused():
    problems = electrodes.pair_problems([row("BL23", "left", "electrical")])
    assert problems[0].field == "paired_with" and "BL23 left" in problems[0].message


def test_the_paired_needle_must_be_one_of_the_sets_sites():
    problems = electrodes.pair_problems([row("BL23", "left", "electrical", "BL25"),
                                         row("BL25", "left", needle_set=2)])
    assert "BL25 left is not among the needle sites of set 1" in problems[0].message


def test_a_midline_site_paired_with_a_lateral_point_names_its_side():
    rows = [row("GV4", "midline", "electrical", "BL23"), row("BL23", "bilateral")]
    assert electrodes.pair_problems(rows)[0].field == "paired_side"
    rows[0]["paired_side"] = "left"
    assert electrodes.pair_problems(rows) == []


def test_an_electrical_set_needs_a_recorded_pair_and_the_other_way_round():
    assert "none of its needle sites" in electrodes.needle_set_problems(
        [{"order": 1, "electrical": True}], [row("BL23", "left")])[0]
    assert "tick Electrical stimulation" in electrodes.needle_set_problems(
        [{"order": 1, "electrical": False}],
        [row("BL23", "left", "electrical", "BL25", "left"), row("BL25", "left")])[0]
