"""What every instrument module defines, and the checks all of them share.

Facts (items, scoring, missing-item rules, bands, MCIDs, LOINC codes, licences)
come from docs/reference/instruments.md; each module cites its section.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SCORER_VERSION = "instruments-2026.1"


@dataclass(frozen=True)
class Option:
    value: int | float
    label: str


@dataclass(frozen=True)
class Item:
    number: int
    topic: str  # the project's own wording or a paraphrase of the topic
    options: tuple[Option, ...] = ()  # empty: a number between minimum and maximum
    minimum: float = 0
    maximum: float = 10
    scored: bool = True
    loinc: str | None = None

    def allowed(self, value: float) -> bool:
        if self.options:
            return any(value == o.value for o in self.options)
        return self.minimum <= value <= self.maximum


@dataclass(frozen=True)
class Score:
    total: float | None
    subscores: dict[str, float] = field(default_factory=dict)
    band: str | None = None
    version: str = SCORER_VERSION
    note: str = ""  # why there is no total, when there is none


@dataclass(frozen=True)
class Mcid:
    """The responder threshold: an absolute change, a percentage, or both (either suffices)."""

    absolute: float | None = None
    percent: float | None = None
    source: str = ""
    label: str = "MCID"  # "MCID", or "measurement error" for range-of-motion tests


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    version: str
    recall: str
    items: tuple[Item, ...]
    scorer: Callable[[dict[int, float]], Score]
    lower_is_better: bool
    mcid: Mcid | None
    ship_text: bool  # may the full item wording ship (instruments.md licence rows)?
    licence: str
    loinc: Mapping[str, str] = field(default_factory=dict)  # "total", "panel", …; verified only
    answer_help: str = ""
    unit: str = ""
    minimum: float = 0
    maximum: float = 10

    def item(self, number: int) -> Item | None:
        return next((i for i in self.items if i.number == number), None)


def validate(instrument: Instrument, answers: Mapping[Any, Any]) -> dict[int, float]:
    """Answers with missing items dropped; ValueError naming the item otherwise."""
    clean: dict[int, float] = {}
    for key, value in answers.items():
        # An int, or text of the ASCII digits 0-9 (int() alone would take "١" for 1).
        if isinstance(key, bool) or not (isinstance(key, int) or isinstance(key, str)
                                         and re.fullmatch(r"[0-9]+", key.strip())):
            raise ValueError(f"{instrument.id}: item {key!r} is not an item number")
        number = int(key)
        item = instrument.item(number)
        if item is None:
            raise ValueError(f"{instrument.id}: there is no item {number}")
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{instrument.id}: item {number} must be a number, not {value!r}")
        if not item.allowed(value):
            raise ValueError(f"{instrument.id}: item {number} answer {value} is out of range")
        clean[number] = float(value)
    return clean


def options(*pairs: tuple[int, str]) -> tuple[Option, ...]:
    return tuple(Option(v, label) for v, label in pairs)


ZERO_TO_TEN = tuple(Option(v, str(v)) for v in range(11))
FREQUENCY = options((0, "Not at all"), (1, "Several days"), (2, "More than half the days"),
                    (3, "Nearly every day"))
