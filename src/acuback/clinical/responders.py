"""Change from baseline, MCID, responder status and episode trajectory.

Rules (instruments.md §1, project rules where marked):
- change = current − baseline; percent = 100 × change / baseline (None when the
  baseline is 0: undefined, not 0 %).
- MCID met: |change| reaches the instrument's absolute MCID, or |percent| its
  percentage (either suffices; Ostelo 2008), in either direction. The range-of-motion
  tests have no MCID: their change counts only when it is beyond (greater than) the
  measurement error (§12).
- Responder (the one definition every page uses; project rule): the change goes the
  better way and meets the MCID, i.e. direction "improving". Instruments without a
  threshold have no responder flag (None), only a change. Trials keep their own
  definitions when the clinic is set beside them (§1, evidence.md).
- direction: "improving" when the change goes the better way and meets the MCID,
  "worsening" when it goes the worse way and meets it, else "no_change".
  Instruments without an MCID (STarT Back, PHQ-2, GAD, PGIC) never claim a
  direction from a score change.
- Episode status per measure is the direction of the latest score against the
  baseline; overall: improving if pain or function improves and neither
  worsens; worsening if either worsens; otherwise no meaningful change.
- Not improving at the review point (default after 6 sessions): no MCID on
  pain (NRS, PEG) or function (ODI, RMDQ, PSFS).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from . import instruments

RULE_VERSION = "responders-2026.2"  # .2: one responder rule; ROM strictly beyond error
PAIN = ("nrs", "peg")
FUNCTION = ("odi", "rmdq", "psfs")
PAIN_AND_FUNCTION = PAIN + FUNCTION
DEFAULT_REVIEW_AFTER_SESSIONS = 6
_EPSILON = 1e-9


@dataclass(frozen=True)
class Change:
    absolute: float
    percent: float | None
    mcid_met: bool
    direction: str  # improving, no_change, worsening


def change(instrument_id: str, *, baseline: float, current: float) -> Change:
    instrument = instruments.get(instrument_id)
    absolute = current - baseline
    percent = 100 * absolute / baseline if baseline else None
    mcid = instrument.mcid
    met = False
    if mcid is not None and _is_measurement_error(mcid) and mcid.absolute is not None:
        met = abs(absolute) > mcid.absolute + _EPSILON  # "beyond" the error, not at it
    elif mcid is not None:
        if mcid.absolute is not None and abs(absolute) + _EPSILON >= mcid.absolute:
            met = True
        if mcid.percent is not None and percent is not None \
                and abs(percent) + _EPSILON >= mcid.percent:
            met = True
    better = absolute < 0 if instrument.lower_is_better else absolute > 0
    direction = "improving" if better else "worsening"
    if not met or absolute == 0:
        direction = "no_change"
    return Change(absolute=absolute, percent=percent, mcid_met=met, direction=direction)


DEFINITION = (
    "A responder improved from baseline by at least the measure's minimal clinically "
    "important difference (MCID): the change in points or the percentage change, whichever "
    "is reached (Ostelo 2008). Range-of-motion tests have no MCID: their change counts only "
    "beyond measurement error. Measures without either show the change only.")


def _is_measurement_error(mcid: instruments.Mcid) -> bool:
    return mcid.label == "measurement error"


def responder(instrument_id: str, *, baseline: float, current: float) -> bool | None:
    """The clinic's one responder rule (``DEFINITION``); None when the instrument has no
    MCID or measurement error to judge by."""
    if instruments.get(instrument_id).mcid is None:
        return None
    return change(instrument_id, baseline=baseline, current=current).direction == "improving"


def _number(value: float) -> str:
    return f"{value:g}"


def threshold_text(instrument_id: str) -> str | None:
    """The rule as the page states it: "at least 10 points or 30 %"."""
    instrument = instruments.get(instrument_id)
    mcid = instrument.mcid
    if mcid is None:
        return None
    if _is_measurement_error(mcid) and mcid.absolute is not None:
        return f"more than {_number(mcid.absolute)} {instrument.unit} (measurement error)"
    parts = []
    if mcid.absolute is not None:
        unit = "point" if mcid.absolute == 1 else "points"  # ODI's "%" unit is points too
        parts.append(f"{_number(mcid.absolute)} {unit}")
    if mcid.percent is not None:
        parts.append(f"{_number(mcid.percent)} %")
    return "at least " + " or ".join(parts)


def responder_wording(instrument_id: str) -> str | None:
    """What a responder did, with the instrument's threshold: "improved by at least the
    MCID (at least 2 points or 30 %)"; None for an instrument without one."""
    instrument = instruments.get(instrument_id)
    mcid = instrument.mcid
    if mcid is None:
        return None
    if _is_measurement_error(mcid) and mcid.absolute is not None:
        return (f"improved beyond measurement error (more than {_number(mcid.absolute)} "
                f"{instrument.unit})")
    return f"improved by at least the MCID ({threshold_text(instrument_id)})"


def no_change_band(instrument_id: str, baseline: float) -> tuple[float, float] | None:
    """The scores around ``baseline`` whose change does not meet the threshold (the chart's
    shaded band): the smaller of the absolute and the percentage threshold, either way."""
    mcid = instruments.get(instrument_id).mcid
    if mcid is None:
        return None
    widths = [mcid.absolute] if mcid.absolute is not None else []
    if mcid.percent is not None and baseline and not _is_measurement_error(mcid):
        widths.append(abs(baseline) * mcid.percent / 100)
    if not widths:
        return None
    width = min(widths)
    return baseline - width, baseline + width


@dataclass(frozen=True)
class MeasureStatus:
    instrument_id: str
    baseline: float
    latest: float
    change: Change


def measure_status(instrument_id: str, series: Iterable[float]) -> MeasureStatus | None:
    """Baseline is the first score, latest the last; None with fewer than two scores."""
    values = [v for v in series if v is not None]
    if len(values) < 2:
        return None
    return MeasureStatus(instrument_id, values[0], values[-1],
                         change(instrument_id, baseline=values[0], current=values[-1]))


def overall_status(statuses: Mapping[str, MeasureStatus]) -> str:
    """improving / no_change / worsening across pain and function."""
    relevant = [s.change.direction for key, s in statuses.items() if key in PAIN_AND_FUNCTION]
    if not relevant:
        return "no_change"
    if "worsening" in relevant:
        return "worsening"
    if "improving" in relevant:
        return "improving"
    return "no_change"


def not_improving(statuses: Mapping[str, MeasureStatus], sessions: int,
                  review_after: int = DEFAULT_REVIEW_AFTER_SESSIONS) -> bool:
    """At or past the review point, no MCID improvement on pain or on function."""
    if sessions < review_after:
        return False
    return not any(s.change.direction == "improving" for key, s in statuses.items()
                   if key in PAIN_AND_FUNCTION)


def groups_text() -> str:
    """The pain and function groups as a page names them."""
    return (f"pain: {', '.join(i.upper() for i in PAIN)}; "
            f"function: {', '.join(i.upper() for i in FUNCTION)}")


# The overall status in words (pages never show the raw key, issue #28 §6).
STATUS_WORDS = {"improving": "improving", "worsening": "worse",
                "no_change": "no change that matters yet"}


def _amount(value: float, unit: str) -> str:
    unit = {"": "point", "points": "point", "%": "percentage point"}.get(unit, unit)
    plural = "" if abs(value) == 1 or unit not in ("point", "percentage point") else "s"
    return f"{_number(abs(value))} {unit}{plural}"


def plain_summary(statuses: Mapping[str, MeasureStatus]) -> str | None:
    """One plain sentence for the patient about their first pain measure with two scores
    (else function): how far it moved since the start and whether that is a change that
    matters, by the one responder rule above (`change`). None when nothing has two scores."""
    for key in PAIN_AND_FUNCTION:
        status = statuses.get(key)
        if status is None:
            continue
        instrument = instruments.get(key)
        what = "Your pain score" if key in PAIN else f"Your {instrument.name} score"
        moved = status.latest - status.baseline
        if abs(moved) < _EPSILON:
            where = "the same as when you started"
        else:
            where = (f"{_amount(moved, instrument.unit)} "
                     f"{'lower' if moved < 0 else 'higher'} than when you started")
        direction = status.change.direction
        verdict = {"improving": "a change that matters",
                   "worsening": "a change for the worse that matters: talk it through with "
                                "your practitioner",
                   }.get(direction, "not yet a change that matters")
        return f"{what} is {where}: {verdict}."
    return None
