"""Electroacupuncture lead pairs: where the current between two needles would run.

Safety reference §3.3 (practice guidance [EA-practice][Cummings2011][Sierpina]):
current never flows through the chest and heart, through the cervical or
thoracic spinal cord, or over the brain. **Project rule**: every electrical
stimulation records its lead pair, and a pair whose line crosses the chest or
heart, runs through the cervical or thoracic cord, or crosses the head is
refused. The catalogue gives regions, not coordinates, so the line is judged by
the regions and sides of its two ends, conservatively (docs/clinical-safety.md
lists the cases).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .points import Point, lookup, site_regions

LEFT, RIGHT, MIDLINE, BILATERAL = "left", "right", "midline", "bilateral"
# Levels of the body, from the catalogue's regions; a point in two regions (EX-B2,
# T1 to L5) takes the higher, more cautious one, unless its site records its vertebral
# level ("L4": the lower back; points.site_regions).
_LEVELS = (("head", {"head_face"}), ("neck", {"neck"}), ("thorax", {"chest", "upper_back"}),
           ("upper_limb", {"upper_limb"}), ("lower_trunk", {"abdomen", "lower_back", "sacral"}),
           ("lower_limb", {"lower_limb"}))
_UPPER = frozenset({"neck", "thorax", "upper_limb"})  # above the diaphragm, head apart
_BACK = frozenset({"upper_back", "lower_back", "sacral"})


@dataclass(frozen=True)
class End:
    """One electrode: a point on one side (left, right or midline)."""

    point: Point
    side: str
    # The regions of this needle, when its site narrows the point's (EX-B2 at "L4").
    at: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.point.code if self.side == MIDLINE else f"{self.point.code} {self.side}"

    @property
    def regions(self) -> tuple[str, ...]:
        return self.at or self.point.regions


def level(point: Point | End) -> str:
    for name, regions in _LEVELS:
        if regions & set(point.regions):
            return name
    return "lower_limb"


def _over_the_cord(point: Point) -> bool:
    """A Governor Vessel point on the neck or thoracic back lies over the cervical or
    thoracic spinal cord (GV6 to GV16)."""
    return point.meridian == "GV" and level(point) in ("neck", "thorax")


def refusal(a: End, b: End) -> str | None:
    """Why current between these two electrodes is not allowed, or None."""
    if a == b and len(a.point.regions) < 2:  # a group point (EX-B2) pairs two of its needles
        return "an electrode cannot be paired with its own needle"
    la, lb = level(a), level(b)
    if "head" in (la, lb) and not (la == lb == "head" and a.side == b.side != MIDLINE):
        return "the line between them crosses the head"
    if _over_the_cord(a.point) or _over_the_cord(b.point):
        return "the current would run along or through the cervical or thoracic spinal cord"
    if "chest" in a.regions or "chest" in b.regions:
        return "an electrode on the chest wall puts the current through the chest"
    if la in _UPPER and lb in _UPPER:
        if a.side == b.side:
            return None
        if la == lb == "neck":
            return "the line crosses the neck and the cervical spinal cord"
        if {la, lb} <= {"neck", "thorax"}:
            return "the line crosses the thoracic spine and cord, and the chest"
        return "the line runs from one side of the upper body to the other, across the chest"
    if la in _UPPER or lb in _UPPER:
        # One end above the diaphragm, one below. Only a pair on the back of the trunk,
        # on one side, keeps the current off the chest.
        on_back = (bool(_BACK & set(a.regions)) and bool(_BACK & set(b.regions))
                   and {la, lb} == {"thorax", "lower_trunk"})
        if not (on_back and a.side == b.side != MIDLINE):
            return "the line runs through the trunk, across the chest"
    return None


def ends(point: Point, side: str, paired: Point, paired_side: str) -> list[tuple[End, End]]:
    """The electrode pairs of one needle site: a bilateral site is a pair on each side.

    `paired_side` empty means the paired needle is on the same side (for a bilateral
    site paired with its own point: the other side). Raises ValueError in words when
    the side of the paired needle cannot be known."""
    if paired_side == MIDLINE and not paired.midline and paired.is_standard:
        raise ValueError(f"{paired.code} is not a midline point: choose its side")
    if paired_side in (LEFT, RIGHT) and paired.midline:
        raise ValueError(f"{paired.code} lies on the midline: choose Midline for its side")
    pairs = []
    for this in ((LEFT, RIGHT) if side == BILATERAL else (side,)):
        other = paired_side
        if not other:
            if paired.midline:
                other = MIDLINE
            elif this == MIDLINE:
                raise ValueError(f"say on which side {paired.code} is")
            elif paired.code == point.code and side == BILATERAL:
                other = RIGHT if this == LEFT else LEFT
            else:
                other = this
        pairs.append((End(point, this), End(paired, other)))
    return pairs


@dataclass(frozen=True)
class PairProblem:
    row: int  # index of the needle site in the rows given
    field: str
    message: str


def pair_problems(rows: list[dict[str, Any]]) -> list[PairProblem]:
    """Every electrical needle site names a pair that is among the same set's sites and
    that the rule allows. Rows: point_code, location_text, side, stimulation,
    paired_with, paired_side, needle_set (as the session's insertion rows)."""
    problems = []
    for index, row in enumerate(rows):
        if row.get("stimulation") != "electrical":
            continue
        point = lookup(row.get("point_code") or "")
        where = (f"{point.code} {row.get('side')}" if point
                 else f"Ashi ({row.get('location_text') or 'no location'})")
        paired_code = (row.get("paired_with") or "").strip()
        if not paired_code:
            problems.append(PairProblem(index, "paired_with", f"{where}: electrical "
                                        "stimulation needs its electrode pair: name the "
                                        "paired point."))
            continue
        if point is None:
            problems.append(PairProblem(index, "paired_with", f"{where}: an Ashi point has "
                                        "no position in the catalogue, so its electrode pair "
                                        "cannot be checked: pair coded points only."))
            continue
        paired = lookup(paired_code)
        if paired is None:
            problems.append(PairProblem(index, "paired_with",
                                        f"{where}: {paired_code} is not a known acupoint."))
            continue
        try:
            pairs = ends(point, row.get("side") or "", paired, row.get("paired_side") or "")
        except ValueError as exc:
            problems.append(PairProblem(index, "paired_side", f"{where}: {exc}."))
            continue
        pairs = [(_at(a, row, rows, row), _at(b, row, rows, None)) for a, b in pairs]
        sites = _sites(rows, row.get("needle_set", 1))
        # The placement rule first: its reason matters more than a missing needle.
        refused = [(a, b, refusal(a, b)) for a, b in pairs if refusal(a, b)]
        missing = [b for _, b in pairs if (b.point.code, b.side) not in sites]
        if refused:
            a, b, reason = refused[0]
            problems.append(PairProblem(index, "paired_with", f"Electrode pair {a.label} "
                                        f"↔ {b.label} refused: {reason}."))
        elif missing:
            problems.append(PairProblem(index, "paired_with", f"{where}: the paired needle "
                                        f"{missing[0].label} is not among the needle sites "
                                        f"of set {row.get('needle_set', 1)}."))
    return problems


def _at(end: End, row: dict[str, Any], rows: list[dict[str, Any]],
        own: dict[str, Any] | None) -> End:
    """The end with the regions its site records (EX-B2's vertebral level): the row's own
    for the electrode on it; for the paired needle, the row of the same set that holds
    it (the same row when a bilateral row pairs with its own point). Not recorded: the
    point's regions, the cautious reading."""
    if len(end.point.regions) < 2:
        return end
    site = own
    if site is None:
        for other in rows:
            point = lookup(other.get("point_code") or "")
            sides = (LEFT, RIGHT) if other.get("side") == BILATERAL else (other.get("side"),)
            if point is not None and point.code == end.point.code and end.side in sides \
                    and other.get("needle_set", 1) == row.get("needle_set", 1):
                site = other
                break
    narrowed = site_regions(end.point, (site or {}).get("location_text") or "")
    return End(end.point, end.side, tuple(narrowed or ()))


def _sites(rows: Iterable[dict[str, Any]], needle_set: object) -> set[tuple[str, str]]:
    """(code, side) of every needle of one set; a bilateral row is a needle on each side."""
    found = set()
    for row in rows:
        point = lookup(row.get("point_code") or "")
        if point is None or row.get("needle_set", 1) != needle_set:
            continue
        side = row.get("side") or ""
        for one in ((LEFT, RIGHT) if side == BILATERAL else (side,)):
            found.add((point.code, one))
    return found


def needle_set_problems(needle_sets: list[dict[str, Any]], rows: list[dict[str, Any]]
                        ) -> list[str]:
    """A set marked electrical records at least one electrode pair, and a set with an
    electrical needle site is marked electrical (CPT 97813/97814 are billed from it)."""
    electrical_rows = {row.get("needle_set", 1) for row in rows
                       if row.get("stimulation") == "electrical"}
    problems = []
    for needle_set in sorted(needle_sets, key=lambda s: s["order"]):
        order = needle_set["order"]
        if needle_set.get("electrical") and order not in electrical_rows:
            problems.append(f"Needle set {order} is marked electrical, but none of its needle "
                            "sites records electrical stimulation with its electrode pair.")
        if order in electrical_rows and not needle_set.get("electrical"):
            problems.append(f"Needle set {order} has a needle site with electrical "
                            "stimulation: tick Electrical stimulation for the set.")
    return problems
