"""CPT acupuncture units from the session's needle sets (coverage-billing.md §2).

Each needle set is a contact increment: the first is the initial insertion, each
later set a re-insertion. A set counts only with at least `min_minutes` of
face-to-face contact (payer-rule data; default 15, whole increments). The first
counting set gives the one initial code of the day (97813 with electrical
stimulation, else 97810); each later counting set adds one unit of 97814 (with
e-stim) or 97811. Extra contact without a re-insertion adds nothing, and needle
retention is not contact time.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_MIN_MINUTES = 15
RULE_VERSION = "cpt-2026.1"
INITIAL = {False: "97810", True: "97813"}
ADD_ON = {False: "97811", True: "97814"}


def codes(needle_sets: Iterable[tuple[int, bool]], *,
          min_minutes: int = DEFAULT_MIN_MINUTES, estim_allowed: bool = True) -> dict[str, int]:
    """{CPT code: units} for one date of service.

    `needle_sets`: (face-to-face minutes, electrical stimulation used) in order.
    `estim_allowed=False` (a BLOCK_EA condition) refuses e-stim sets outright.
    """
    result: dict[str, int] = {}
    counting = [(minutes, estim) for minutes, estim in needle_sets
                if _check(minutes) >= min_minutes]
    for index, (_, estim) in enumerate(counting):
        if estim and not estim_allowed:
            raise ValueError("electrical stimulation is blocked for this patient: "
                             "97813/97814 cannot be billed")
        code = INITIAL[estim] if index == 0 else ADD_ON[estim]
        result[code] = result.get(code, 0) + 1
    return result


def _check(minutes: int) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise ValueError(f"face-to-face minutes must be a whole number of 0 or more, not "
                         f"{minutes!r}")
    return minutes


def em_allowed(*, first_visit: bool, re_evaluation: bool) -> bool:
    """A separate E/M service (modifier 25) belongs only to the first visit and to
    periodic re-evaluations; the brief check at each treatment is part of 9781x."""
    return first_visit or re_evaluation
