"""The acupoint catalogue: the 361 WHO 2008 standard points and extra points.

Data and provenance: data/acupoints.csv, data/extra_points.csv, data/README.md
(copied from shared/data; attribution in NOTICE).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"

MERIDIANS = ("LU", "LI", "ST", "SP", "HT", "SI", "BL", "KI", "PC", "TE", "GB", "LR", "GV", "CV")
# Legacy and alternative meridian abbreviations (safety.md §3.4 [Aliases]).
ALIASES = {"UB": "BL", "TW": "TE", "SJ": "TE", "TH": "TE", "LV": "LR", "LIV": "LR", "DU": "GV",
           "REN": "CV", "RN": "CV"}
_CODE_RE = re.compile(r"^([A-Z]+)[\s\-.]*0*(\d+)$")


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

    @property
    def region(self) -> str | None:
        return self.regions[0] if self.regions else None

    @property
    def midline(self) -> bool:
        """GV and CV points lie on the midline: no left or right."""
        return self.meridian in ("GV", "CV")


@cache
def _catalogue() -> dict[str, Point]:
    points: dict[str, Point] = {}
    with (DATA / "acupoints.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            points[row["code"]] = Point(
                code=row["code"], meridian=row["meridian"], number=int(row["number"]),
                pinyin=row["pinyin"], hanzi=row["hanzi"], regions=(row["region"],),
                categories=tuple(c for c in row["categories"].split(";") if c),
                pneumothorax_caution=row["pneumothorax_caution"] == "true",
                pregnancy_caution=row["pregnancy_caution"] == "true", is_standard=True)
    with (DATA / "extra_points.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            points[row["code"]] = Point(
                code=row["code"], meridian=None, number=None, pinyin=row["pinyin"],
                hanzi=row["hanzi"], regions=tuple(r for r in row["region"].split(";") if r),
                categories=(), pneumothorax_caution=False, pregnancy_caution=False,
                is_standard=False)
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
