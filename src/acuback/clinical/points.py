"""The acupoint catalogue: the 361 WHO 2008 standard points and extra points, with the
per-point cautions of the safety reference (§5) and the checks of one needle site.

Data and provenance: data/acupoints.csv, data/extra_points.csv, data/point_cautions.csv,
data/README.md (attribution in NOTICE).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"

MERIDIANS = ("LU", "LI", "ST", "SP", "HT", "SI", "BL", "KI", "PC", "TE", "GB", "LR", "GV", "CV")
# Legacy and alternative meridian abbreviations (safety.md §3.4 [Aliases]).
ALIASES = {"UB": "BL", "TW": "TE", "SJ": "TE", "TH": "TE", "LV": "LR", "LIV": "LR", "DU": "GV",
           "REN": "CV", "RN": "CV"}
_CODE_RE = re.compile(r"^([A-Z]+)[\s\-.]*0*([0-9]+)$")  # not \d: "BL٢٣" is no code


@dataclass(frozen=True)
class Caution:
    """A structure beneath a point that a needle can injure (safety.md §5)."""

    structure: str  # pleura, heart, kidney, gallbladder, eye, vessel, spinal_cord
    hazard: str
    sides: tuple[str, ...]  # the sides it applies to; () for both
    ceiling_mm: Decimal | None  # deeper than this needs the caution acknowledged
    ceiling_from_source: bool  # False: the project's conservative ceiling (see data/README.md)
    avoid_perpendicular: bool  # a perpendicular needle needs the caution acknowledged
    sources: tuple[str, ...]

    def applies_to(self, side: str | None) -> bool:
        # An unknown side or a bilateral row includes both sides.
        return not self.sides or side in (None, "", "bilateral") or side in self.sides


@dataclass(frozen=True)
class Point:
    code: str
    meridian: str | None
    number: int | None
    pinyin: str
    hanzi: str
    regions: tuple[str, ...]
    categories: tuple[str, ...]
    pneumothorax_caution: bool
    pregnancy_caution: bool
    is_standard: bool
    cautions: tuple[Caution, ...] = ()

    @property
    def region(self) -> str | None:
        return self.regions[0] if self.regions else None

    @property
    def caution_note(self) -> str:
        """“pleura, deeper than 14.6 mm needs acknowledging” for lists and pickers."""
        parts = []
        for c in self.cautions:
            where = f" ({'/'.join(c.sides)})" if c.sides else ""
            limit = f" ≤ {_mm(c.ceiling_mm)} mm" if c.ceiling_mm is not None else ""
            angle = ", not perpendicular" if c.avoid_perpendicular else ""
            parts.append(f"{c.structure.replace('_', ' ')}{where}{limit}{angle}")
        return "; ".join(dict.fromkeys(parts))

    @property
    def midline(self) -> bool:
        """GV and CV points lie on the midline: no left or right."""
        return self.meridian in ("GV", "CV")


def _cautions() -> dict[str, tuple[Caution, ...]]:
    found: dict[str, list[Caution]] = {}
    with (DATA / "point_cautions.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found.setdefault(row["code"], []).append(Caution(
                structure=row["structure"], hazard=row["hazard"],
                sides=tuple(s for s in row["sides"].split(";") if s),
                ceiling_mm=Decimal(row["ceiling_mm"]) if row["ceiling_mm"] else None,
                ceiling_from_source=row["ceiling_basis"] == "source",
                avoid_perpendicular=row["angle"] == "not_perpendicular",
                sources=tuple(row["sources"].split(";"))))
    return {code: tuple(cautions) for code, cautions in found.items()}


@cache
def _catalogue() -> dict[str, Point]:
    points: dict[str, Point] = {}
    cautions = _cautions()
    with (DATA / "acupoints.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            points[row["code"]] = Point(
                code=row["code"], meridian=row["meridian"], number=int(row["number"]),
                pinyin=row["pinyin"], hanzi=row["hanzi"], regions=(row["region"],),
                categories=tuple(c for c in row["categories"].split(";") if c),
                pneumothorax_caution=row["pneumothorax_caution"] == "true",
                pregnancy_caution=row["pregnancy_caution"] == "true", is_standard=True,
                cautions=cautions.get(row["code"], ()))
    with (DATA / "extra_points.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            points[row["code"]] = Point(
                code=row["code"], meridian=None, number=None, pinyin=row["pinyin"],
                hanzi=row["hanzi"], regions=tuple(r for r in row["region"].split(";") if r),
                categories=(), pneumothorax_caution=False, pregnancy_caution=False,
                is_standard=False, cautions=cautions.get(row["code"], ()))
    return points


def normalise(code: str) -> str | None:
    """The WHO 2008 form of a code ("UB-23" -> "BL23"), or None if it is not one."""
    text = code.strip().upper()
    if text in _catalogue():
        return text
    match = _CODE_RE.match(text)
    if not match:
        return None
    prefix, number = match.groups()
    prefix = ALIASES.get(prefix, prefix)
    candidate = f"{prefix}{int(number)}"
    return candidate if candidate in _catalogue() else None


def lookup(code: str) -> Point | None:
    normalised = normalise(code)
    return _catalogue()[normalised] if normalised else None


# The catalogue's "ASHI" row names the kind of site, not a place: an Ashi site has no fixed
# location, so it is placed by the words of its location (site_regions), never by a code.
ASHI = "ASHI"


def is_ashi(code: str | None) -> bool:
    """"Ashi", "ashi", "ASHI" typed as a point code."""
    return normalise(code or "") == ASHI


def site_point(code: str | None) -> Point | None:
    """The catalogue point a needle site is at: None for an Ashi site (typed as a code or
    left blank) and for an unknown code."""
    point = lookup(code or "")
    return None if point is None or point.code == ASHI else point


def all_points() -> list[Point]:
    return list(_catalogue().values())


def search(text: str, limit: int = 20) -> list[Point]:
    """By code (aliases accepted), pinyin or hanzi."""
    exact = lookup(text)
    if exact:
        return [exact]
    needle = text.strip().casefold()
    if not needle:
        return []
    return [p for p in all_points()
            if p.pinyin.casefold().startswith(needle) or needle in p.hanzi
            or p.code.casefold().startswith(needle)][:limit]


def in_regions(regions: frozenset[str] | set[str]) -> list[Point]:
    return [p for p in all_points() if set(p.regions) & set(regions)]


# --- one needle site (safety.md §5, §7) --------------------------------------------

ANGLES = ("perpendicular", "oblique", "horizontal")
# Project rule: what a new row is pre-filled with; the practitioner adjusts it. At a
# caution point it starts well inside the ceiling, at an angle the caution allows.
DEFAULT_DEPTH_MM = Decimal(15)
CAUTION_DEFAULT_DEPTH_MM = Decimal(10)
# Regions whose needling needs the symptom check before the patient leaves (§5).
CHEST_WALL_REGIONS = frozenset({"chest", "upper_back"})


# Project rule: an Ashi site over the thorax (or one its location does not place) carries
# the caution of the named pleura points there (data/point_cautions.csv: 14.6 mm, not
# perpendicular, WHO1999-5.2), so it is pre-filled, capped and acknowledged as they are.
ASHI_THORAX_CAUTION = Caution(
    structure="pleura", hazard="An Ashi site over the chest wall or upper back: pleura and "
    "lung beneath. Needle obliquely or horizontally.", sides=(),
    ceiling_mm=Decimal("14.6"), ceiling_from_source=False, avoid_perpendicular=True,
    sources=("WHO1999-5.2",))


def cautions_at(point: Point | None, side: str | None,
                location: str = "") -> tuple[Caution, ...]:
    """The cautions of a site: a coded point's own on that side; an Ashi site's (point
    None or the catalogue's ASHI) from where its location places it."""
    if point is None or point.code == ASHI:
        return (ASHI_THORAX_CAUTION,) if site_needs_chest_check(None, location) else ()
    return tuple(c for c in point.cautions if c.applies_to(side))


def caution_codes(codes: Iterable[str]) -> list[str]:
    """The codes among these whose points carry a caution, normalised, each once, in order."""
    found = (lookup(code or "") for code in codes)
    return list(dict.fromkeys(p.code for p in found if p and p.cautions))


def depth_ceiling(point: Point | None, side: str | None, location: str = "") -> Decimal | None:
    """The shallowest ceiling of the point's cautions on that side; None when it has none."""
    ceilings = [c.ceiling_mm for c in cautions_at(point, side, location)
                if c.ceiling_mm is not None]
    return min(ceilings) if ceilings else None


def default_depth(point: Point | None, side: str | None, location: str = "") -> Decimal:
    ceiling = depth_ceiling(point, side, location)
    return DEFAULT_DEPTH_MM if ceiling is None else min(DEFAULT_DEPTH_MM,
                                                        CAUTION_DEFAULT_DEPTH_MM, ceiling)


def default_angle(point: Point | None, side: str | None, location: str = "") -> str:
    avoid = any(c.avoid_perpendicular for c in cautions_at(point, side, location))
    return "oblique" if avoid else "perpendicular"


def needs_chest_check(point: Point | None) -> bool:
    """A chest-wall, upper-back or supraclavicular point: the practitioner records the
    pneumothorax symptom check before the patient leaves (safety.md §5, project rule)."""
    if point is None:
        return False
    return (point.pneumothorax_caution or bool(CHEST_WALL_REGIONS & set(point.regions))
            or any(c.structure in ("pleura", "heart") for c in point.cautions))


# A vertebral level typed in a site's location ("T6", "L4-L5", "S1"): C, T, L or S and a
# number, or the region's name.
_LEVEL = re.compile(r"\b([ctls])\s?(\d{1,2})\b|\b(cervical|thoracic|lumbar|sacral|sacrum)\b",
                    re.IGNORECASE)
_LEVEL_REGION = {"c": "neck", "cervical": "neck", "t": "upper_back", "thoracic": "upper_back",
                 "l": "lower_back", "lumbar": "lower_back", "s": "sacral", "sacral": "sacral",
                 "sacrum": "sacral"}
# Words that place an Ashi site over the thorax (chest wall, upper back, shoulder top),
# and words that place it elsewhere. Project rule, conservative: a location that names
# neither is not placed, and counts as over the thorax.
_THORAX_WORDS = re.compile(r"chest|rib|intercostal|stern|pectoral|breast|thora|scapul|"
                           r"shoulder blade|interscapular|upper back|mid back|middle back|"
                           r"trapezius|supraclavicular|clavic|axilla|costal|shoulder top",
                           re.IGNORECASE)
_ELSEWHERE_WORDS = {
    "lower_back": r"low(er)? back|lumbar|loin|flank|quadratus",
    "sacral": r"sacr|\bsi joint|sacroiliac|coccyx|tailbone",
    "lower_limb": r"buttock|glute|hip|thigh|knee|calf|leg|ankle|foot|toe|heel|piriformis|"
                  r"hamstring|shin",
    "upper_limb": r"\barm\b|elbow|forearm|wrist|hand|finger|thumb",
    "neck": r"\bneck\b|cervical",
    "head_face": r"head|face|scalp|jaw|temple",
    "abdomen": r"abdom|belly|navel|groin",
}


def site_regions(point: Point | None, location: str = "") -> tuple[str, ...] | None:
    """The body regions a needle site lies in: a coded point's own, narrowed by a
    vertebral level typed in its location when the point spans several (EX-B2, T1 to L5:
    "L4" puts it in the lower back); an Ashi site's from the words of its location. None
    when the location places it nowhere. A range of levels ("T12-L1") counts every
    level it names."""
    text = location or ""
    if point is not None and point.code == ASHI:
        point = None
    levels = {_LEVEL_REGION[(m.group(1) or m.group(3)).lower()] for m in _LEVEL.finditer(text)}
    if point is not None:
        if len(point.regions) > 1 and levels & set(point.regions):
            return tuple(r for r in point.regions if r in levels)
        return point.regions
    if _THORAX_WORDS.search(text):
        levels.add("upper_back")
    levels |= {region for region, words in _ELSEWHERE_WORDS.items()
               if re.search(words, text, re.IGNORECASE)}
    return tuple(sorted(levels)) or None


def site_needs_chest_check(point: Point | None, location: str = "") -> bool:
    """Any needle site over the thorax, named or Ashi, needs the pneumothorax symptom
    check (safety.md §5): a coded point by its cautions and regions (EX-B2 by the level
    recorded; none recorded is the thoracic level, the cautious reading), an Ashi site by
    its location, and an Ashi site its location does not place (unknown is not "no")."""
    if point is not None and point.code == ASHI:
        point = None
    regions = site_regions(point, location)
    if regions is None:
        return True
    if point is not None and set(regions) != set(point.regions):
        return bool(CHEST_WALL_REGIONS & set(regions))  # narrowed by its level
    return needs_chest_check(point) if point is not None else bool(
        CHEST_WALL_REGIONS & set(regions))


@dataclass(frozen=True)
class SiteProblem:
    field: str  # the insertion field the message belongs to
    message: str


def _mm(value: Decimal) -> str:
    """60.0 -> "60", 14.6 -> "14.6"."""
    return format(Decimal(value).normalize(), "f")


def site_label(point: Point | None, side: str | None, location: str = "") -> str:
    where = point.code if point and point.code != ASHI else f"Ashi ({location or 'no location'})"
    return f"{where} {side}" if side and side != "midline" else where


def site_problems(*, point: Point | None, side: str | None, depth_mm: Decimal | None,
                  angle: str | None, length_mm: int | None, acknowledged: bool,
                  location: str = "") -> list[SiteProblem]:
    """Why this needle site may not be recorded as it stands; empty when it may.

    A depth longer than the needle is refused outright; a depth above the point's
    ceiling, or a perpendicular needle where the caution asks for oblique or
    horizontal, needs the caution acknowledged on the row (safety.md §5)."""
    label = site_label(point, side, location)
    problems = []
    if not angle:
        problems.append(SiteProblem("angle", f"{label}: record the angle of insertion."))
    elif angle not in ANGLES:
        problems.append(SiteProblem("angle", f"{label}: “{angle}” is not an angle: use "
                                    "perpendicular, oblique or horizontal."))
    if depth_mm is None:
        return problems
    depth = Decimal(depth_mm)
    if length_mm is not None and depth > length_mm:
        problems.append(SiteProblem("depth_mm", f"{label}: the depth ({_mm(depth)} mm) is more "
                                    f"than the needle's length ({length_mm} mm)."))
    cautions = cautions_at(point, side, location)
    ceiling = depth_ceiling(point, side, location)
    if ceiling is not None and depth > ceiling and not acknowledged:
        over = ", ".join(sorted({c.structure.replace("_", " ") for c in cautions
                                 if c.ceiling_mm is not None and depth > c.ceiling_mm}))
        problems.append(SiteProblem("depth_mm", f"{label}: {_mm(depth)} mm is deeper than the "
                                    f"{_mm(ceiling)} mm ceiling for this point ({over}). Needle "
                                    "shallower, or tick “Caution acknowledged”."))
    if angle == "perpendicular" and not acknowledged:
        avoid = sorted({c.structure.replace("_", " ") for c in cautions
                        if c.avoid_perpendicular})
        if avoid:
            problems.append(SiteProblem("angle", f"{label}: needle obliquely or horizontally "
                                        f"here ({', '.join(avoid)}), or tick “Caution "
                                        "acknowledged”."))
    return problems


def acknowledgement_needed(*, point: Point | None, side: str | None,
                           depth_mm: Decimal | None, angle: str | None,
                           location: str = "") -> bool:
    """Whether this site, as recorded, needs its caution acknowledged: deeper than the
    point's ceiling, or perpendicular where the caution asks for oblique or horizontal."""
    ceiling = depth_ceiling(point, side, location)
    deep = ceiling is not None and depth_mm is not None and Decimal(depth_mm) > ceiling
    straight = angle == "perpendicular" and any(c.avoid_perpendicular
                                                for c in cautions_at(point, side, location))
    return deep or straight
