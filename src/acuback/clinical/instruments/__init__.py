"""Validated questionnaires and clinical tests: items, scoring, MCIDs, codes, licences.

Public face: `score(instrument_id, answers) -> Score` and `get(instrument_id)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import gad, nrs, odi, peg, pgic, phq, psfs, rmdq, rom, startback
from .base import SCORER_VERSION, Instrument, Item, Mcid, Option, Score, validate

REGISTRY: dict[str, Instrument] = {i.id: i for i in (
    nrs.INSTRUMENT, odi.INSTRUMENT, rmdq.INSTRUMENT, startback.INSTRUMENT, peg.INSTRUMENT,
    phq.PHQ2, phq.PHQ9, gad.GAD2, gad.GAD7, pgic.INSTRUMENT, psfs.INSTRUMENT, rom.SCHOBER,
    rom.FFD)}

__all__ = ["REGISTRY", "SCORER_VERSION", "Instrument", "Item", "Mcid", "Option", "Score",
           "all_instruments", "get", "score"]


def get(instrument_id: str) -> Instrument:
    try:
        return REGISTRY[instrument_id]
    except KeyError:
        raise ValueError(f"unknown instrument {instrument_id!r}") from None


def all_instruments() -> list[Instrument]:
    return list(REGISTRY.values())


def score(instrument_id: str, answers: Mapping[Any, Any]) -> Score:
    """Score answers (item number -> numeric answer; missing items absent or None).

    An answer out of range or an unknown item raises ValueError naming the item.
    """
    instrument = get(instrument_id)
    if instrument_id == "rmdq":
        unreadable = rmdq.score_with_unreadable({int(k): v for k, v in answers.items()})
        validate(instrument, answers)
        if unreadable is not None:
            return unreadable
    return instrument.scorer(validate(instrument, answers))
