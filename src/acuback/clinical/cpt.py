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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_MIN_MINUTES = 15
RULE_VERSION = "cpt-2026.2"
INITIAL = {False: "97810", True: "97813"}
ADD_ON = {False: "97811", True: "97814"}
INITIAL_CODES = frozenset(INITIAL.values())
# The codes an acupuncture clinic bills, with short descriptors (coverage-billing.md §2:
# [Chirofind][ZRLKA][CodingAhead][LegalClarity]; 20560/20561 [Gawenda-DN]).
BILLABLE_CODES = {
    "97810": "Acupuncture without electrical stimulation, initial 15 minutes",
    "97811": "Acupuncture without electrical stimulation, each additional 15 minutes "
             "with re-insertion (add-on)",
    "97813": "Acupuncture with electrical stimulation, initial 15 minutes",
    "97814": "Acupuncture with electrical stimulation, each additional 15 minutes with "
             "re-insertion (add-on)",
    "20560": "Dry needling, 1 or 2 muscles",
    "20561": "Dry needling, 3 or more muscles",
}


@dataclass(frozen=True)
class NeedleSet:
    """One needle set as the record holds it.

    `needles`: needles inserted in the set; a set with none is contact without an
    insertion and earns no code (the add-ons describe a re-insertion of needles).
    `stimulated`: needles of the set under electrical stimulation; the e-stim codes
    describe stimulated needles, so a set marked electrical with none is coded without.
    """

    minutes: int
    electrical: bool
    needles: int = 1
    stimulated: int | None = None  # None: every needle as `electrical` says

    @property
    def estim(self) -> bool:
        return self.electrical and (self.stimulated is None or self.stimulated > 0)


def codes(needle_sets: Iterable[tuple[int, bool] | NeedleSet], *,
          min_minutes: int = DEFAULT_MIN_MINUTES, estim_allowed: bool = True) -> dict[str, int]:
    """{CPT code: units} for one date of service.

    `needle_sets`: every needle set of the date's sessions in order, as NeedleSet or
    (face-to-face minutes, electrical stimulation used). One date, one initial code.
    `estim_allowed=False` (a BLOCK_EA condition) refuses e-stim sets outright.
    """
    result: dict[str, int] = {}
    sets = [s if isinstance(s, NeedleSet) else NeedleSet(*s) for s in needle_sets]
    counting = [(s.minutes, s.estim) for s in sets
                if _check(s.minutes) >= min_minutes and s.needles > 0]
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


def sets_from_record(needle_sets: Iterable[Mapping[str, Any]],
                     insertions: Iterable[Mapping[str, Any]]
                     ) -> list[NeedleSet]:
    """A session's needle sets (rows with order, face_to_face_minutes, electrical) with
    what its insertions (needle_set, needles, stimulation) put in each, in order: the
    input of `codes`, so billed units always trace to recorded needling (§2)."""
    needles: dict[int, int] = {}
    stimulated: dict[int, int] = {}
    for insertion in insertions:
        number = insertion.get("needles", 1) or 0  # a site is one needle unless told
        key = insertion.get("needle_set") or 1
        needles[key] = needles.get(key, 0) + number
        if insertion.get("stimulation") == "electrical":
            stimulated[key] = stimulated.get(key, 0) + number
    return [NeedleSet(s["face_to_face_minutes"], bool(s["electrical"]),
                      needles.get(s["order"], 0), stimulated.get(s["order"], 0))
            for s in sorted(needle_sets, key=lambda s: s["order"])]
