"""One episode's scores on one instrument, reduced to the figures the clinic dashboard
aggregates (stored per episode and instrument, so the dashboard is SQL aggregates over
one row per episode instead of a search of every response).

Rules (the ones the dashboard states; evidence.md §3 for the time windows):
- baseline: the earliest score at the baseline time point; ``baseline_at`` is when it
  was given.
- at a time point (review, discharge, 3- and 6-month follow-up): the latest score given
  for that time point.
- latest: the latest score at any time point other than baseline (the claims ledger's
  "baseline to the latest later score").
- at week w (8, 26, 52): the latest score at any time point given within
  ± window_weeks(w) of ``baseline_at`` + w weeks, both ends included.
Scores given at the same moment keep the order they were recorded in.

Responder flags (``responder_flags``): at each time point and at the latest score, the
one responder rule of ``responders.responder`` against the baseline; None without a
baseline, without a score there, or for an instrument with no threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import responders
from .evidence import window_weeks

RULE_VERSION = "episode-measures-2026.1"
TIME_POINTS = ("review", "discharge", "follow_up_3m", "follow_up_6m")
WEEKS = (8, 26, 52)
RESPONDER_AT = (*TIME_POINTS, "latest")
RESPONDER_FIELDS = tuple(f"responder_{point}" for point in RESPONDER_AT)


@dataclass(frozen=True)
class Score:
    time_point: str
    total: float
    at: datetime


@dataclass(frozen=True)
class Summary:
    baseline: float | None = None
    baseline_at: datetime | None = None
    review: float | None = None
    discharge: float | None = None
    follow_up_3m: float | None = None
    follow_up_6m: float | None = None
    latest: float | None = None
    week_8: float | None = None
    week_26: float | None = None
    week_52: float | None = None


def summarise(scores: Iterable[Score]) -> Summary:
    """``scores`` in the order they were recorded; only scored (non-empty) totals."""
    ordered = sorted(enumerate(scores), key=lambda pair: (pair[1].at, pair[0]))
    values: dict[str, float | datetime | None] = {}
    baseline = next((s for _, s in ordered if s.time_point == "baseline"), None)
    if baseline is not None:
        values["baseline"], values["baseline_at"] = baseline.total, baseline.at
    for _, score in ordered:  # later scores overwrite earlier ones: the latest counts
        if score.time_point in TIME_POINTS:
            values[score.time_point] = score.total
        if score.time_point != "baseline":
            values["latest"] = score.total
        if baseline is not None:
            for weeks in WEEKS:
                centre = baseline.at + timedelta(weeks=weeks)
                window = timedelta(weeks=window_weeks(weeks))
                if centre - window <= score.at <= centre + window:
                    values[f"week_{weeks}"] = score.total
    return Summary(**values)  # type: ignore[arg-type]


def responder_flags(instrument_id: str, summary: Summary) -> dict[str, bool | None]:
    """``responder_<point>`` for each point of ``RESPONDER_AT`` (see the module's rules)."""
    flags: dict[str, bool | None] = {}
    for point in RESPONDER_AT:
        later = getattr(summary, point)
        flags[f"responder_{point}"] = None if summary.baseline is None or later is None else \
            responders.responder(instrument_id, baseline=summary.baseline, current=later)
    return flags
