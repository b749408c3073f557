"""Regions of the pain drawing: a front and a back outline, each region a checkbox.

Coordinates are in a 200 x 420 box per view. The drawing is schematic: it is
for marking where it hurts, not for anatomy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BodyRegion:
    code: str
    label: str
    view: str  # "back" or "front"
    shape: str  # SVG path data


def _rect(x: int, y: int, w: int, h: int) -> str:
    return f"M{x} {y}h{w}v{h}h{-w}z"


REGIONS: tuple[BodyRegion, ...] = (
    BodyRegion("back_neck", "Neck (back)", "back", _rect(85, 55, 30, 25)),
    BodyRegion("back_upper", "Upper back", "back", _rect(60, 80, 80, 60)),
    BodyRegion("back_lower_left", "Lower back, left", "back", _rect(60, 140, 40, 45)),
    BodyRegion("back_lower_right", "Lower back, right", "back", _rect(100, 140, 40, 45)),
    BodyRegion("back_sacrum", "Sacrum / tailbone", "back", _rect(85, 185, 30, 20)),
    BodyRegion("back_buttock_left", "Buttock, left", "back", _rect(60, 185, 25, 40)),
    BodyRegion("back_buttock_right", "Buttock, right", "back", _rect(115, 185, 25, 40)),
    BodyRegion("back_thigh_left", "Back of thigh, left", "back", _rect(62, 228, 33, 75)),
    BodyRegion("back_thigh_right", "Back of thigh, right", "back", _rect(105, 228, 33, 75)),
    BodyRegion("back_calf_left", "Calf, left", "back", _rect(64, 306, 28, 75)),
    BodyRegion("back_calf_right", "Calf, right", "back", _rect(108, 306, 28, 75)),
    BodyRegion("front_abdomen", "Abdomen", "front", _rect(65, 120, 70, 70)),
    BodyRegion("front_groin", "Groin", "front", _rect(70, 190, 60, 30)),
    BodyRegion("front_thigh_left", "Front of thigh, left", "front", _rect(105, 222, 33, 80)),
    BodyRegion("front_thigh_right", "Front of thigh, right", "front", _rect(62, 222, 33, 80)),
    BodyRegion("front_shin_left", "Shin, left", "front", _rect(108, 305, 28, 70)),
    BodyRegion("front_shin_right", "Shin, right", "front", _rect(64, 305, 28, 70)),
    BodyRegion("front_foot_left", "Foot, left", "front", _rect(108, 378, 30, 22)),
    BodyRegion("front_foot_right", "Foot, right", "front", _rect(62, 378, 30, 22)),
)
BY_CODE = {r.code: r for r in REGIONS}
CHOICES = [(r.code, r.label) for r in REGIONS]
# Below-the-knee regions: pain there suggests radiating leg pain.
LEG_REGIONS = frozenset({"back_thigh_left", "back_thigh_right", "back_calf_left",
                         "back_calf_right", "front_thigh_left", "front_thigh_right",
                         "front_shin_left", "front_shin_right", "front_foot_left",
                         "front_foot_right"})
# The body outline drawn behind the regions, same for both views.
OUTLINE = ("M100 8c14 0 24 11 24 25s-10 24-24 24-24-10-24-24 10-25 24-25z"
           "M85 57h30l30 20 20 110-12 3-20-85v115l8 170h-30l-8-150h-6l-8 150h-30l8-170"
           "V105l-20 85-12-3 20-110z")
