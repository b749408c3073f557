"""Per-point cautions of the catalogue (safety.md §5) and the checks of one needle site."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import points

CAUTION_POINTS = [p for p in points.all_points() if p.cautions]
SIDES = ("left", "right", "bilateral", "midline")


def test_every_pneumothorax_caution_point_carries_a_pleura_caution():
    flagged = {p.code for p in points.all_points() if p.pneumothorax_caution}
    with_pleura = {p.code for p in points.all_points()
                   if any(c.structure == "pleura" for c in p.cautions)}
    assert flagged <= with_pleura
    assert len(flagged) == 58


@pytest.mark.parametrize("code, structure", [
    ("GB21", "pleura"), ("BL11", "pleura"), ("LU1", "pleura"), ("BL13", "pleura"),
    ("CV17", "heart"), ("SI11", "pleura"), ("BL52", "kidney"), ("BL1", "eye"), ("ST1", "eye"),
    ("CV22", "vessel"), ("LI18", "vessel"), ("SI17", "vessel"), ("GV15", "spinal_cord"),
    ("GV16", "spinal_cord"),
])
def test_the_points_of_section_5_carry_their_caution_with_sources(code, structure):
    point = points.lookup(code)
    caution = next(c for c in point.cautions if c.structure == structure)
    assert caution.sources and caution.hazard
    assert caution.ceiling_mm is not None


def test_gb21_ceiling_is_the_published_mean_depth_to_the_pleura_in_women():
    gb21 = points.lookup("GB21")
    assert points.depth_ceiling(gb21, "left") == Decimal("14.6")
    assert gb21.cautions[0].ceiling_from_source
    assert "Chen2018" in gb21.cautions[0].sources
    # The old pre-filled 15 mm was deeper than that; the default is now within it.
    assert points.default_depth(gb21, "left") < Decimal("14.6")
    assert points.default_angle(gb21, "left") == "oblique"


def test_st21_gallbladder_caution_is_on_the_right_only():
    st21 = points.lookup("ST21")
    assert points.depth_ceiling(st21, "left") is None
    assert points.depth_ceiling(st21, "right") == Decimal("14.6")
    assert points.depth_ceiling(st21, "bilateral") == Decimal("14.6")  # includes the right


@pytest.mark.parametrize("code, depth", [("BL13", 60), ("GB21", 50), ("LU1", 45)])
def test_the_depths_the_review_found_signed_are_above_the_ceiling(code, depth):
    problems = points.site_problems(point=points.lookup(code), side="left",
                                    depth_mm=Decimal(depth), angle="oblique", length_mm=75,
                                    acknowledged=False)
    assert [p.field for p in problems] == ["depth_mm"]
    assert code in problems[0].message and "ceiling" in problems[0].message


@given(point=st.sampled_from(CAUTION_POINTS), side=st.sampled_from(SIDES))
def test_a_new_row_defaults_within_the_ceiling_at_an_allowed_angle(point, side):
    depth, angle = points.default_depth(point, side), points.default_angle(point, side)
    ceiling = points.depth_ceiling(point, side)
    assert ceiling is None or depth <= ceiling
    assert points.site_problems(point=point, side=side, depth_mm=depth, angle=angle,
                                length_mm=40, acknowledged=False) == []


@given(point=st.sampled_from(CAUTION_POINTS), side=st.sampled_from(("left", "right")),
       depth=st.decimals(min_value=0, max_value=100, places=1), angle=st.sampled_from(
           points.ANGLES))
def test_a_depth_above_the_ceiling_needs_the_acknowledgement(point, side, depth, angle):
    ceiling = points.depth_ceiling(point, side)
    unacknowledged = points.site_problems(point=point, side=side, depth_mm=depth, angle=angle,
                                          length_mm=150, acknowledged=False)
    acknowledged = points.site_problems(point=point, side=side, depth_mm=depth, angle=angle,
                                        length_mm=150, acknowledged=True)
    above = ceiling is not None and depth > ceiling
    assert above == any(p.field == "depth_mm" for p in unacknowledged)
    assert acknowledged == []
    assert points.acknowledgement_needed(point=point, side=side, depth_mm=depth,
                                         angle=angle) == bool(unacknowledged)


@given(point=st.sampled_from(points.all_points() + [None]),
       length=st.integers(min_value=5, max_value=99), extra=st.decimals(
           min_value=Decimal("0.1"), max_value=50, places=1), ack=st.booleans())
def test_a_depth_longer_than_the_needle_is_refused_even_when_acknowledged(point, length, extra,
                                                                        ack):
    problems = points.site_problems(point=point, side="left", depth_mm=length + extra,
                                    angle="oblique", length_mm=length, acknowledged=ack)
    assert any(p.field == "depth_mm" and "needle's length" in p.message for p in problems)


@pytest.mark.parametrize("angle, message", [("", "record the angle"),
                                            ("sideways", "is not an angle")])
def test_the_angle_is_required(angle, message):
    problems = points.site_problems(point=points.lookup("BL23"), side="left", depth_mm=20,
                                    angle=angle, length_mm=40, acknowledged=False)
    assert problems[0].field == "angle" and message in problems[0].message


def test_perpendicular_at_a_pleura_point_needs_the_acknowledgement():
    bl13 = points.lookup("BL13")
    problems = points.site_problems(point=bl13, side="right", depth_mm=10,
                                    angle="perpendicular", length_mm=40, acknowledged=False)
    assert [p.field for p in problems] == ["angle"]
    assert "BL13 right" in problems[0].message


@pytest.mark.parametrize("code, needed", [("GB21", True), ("BL13", True), ("LU1", True),
                                          ("SI11", True), ("GV12", True), ("BL23", False),
                                          ("LI4", False), ("EX-B2", True)])
def test_chest_wall_and_upper_back_points_need_the_symptom_check(code, needed):
    assert points.needs_chest_check(points.lookup(code)) is needed
