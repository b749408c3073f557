"""The default collection schedule (issue 5; a clinic may keep its own OutcomeSchedule row)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from acuback.clinical import instruments

# The recommended set (issue 5). An instrument is collected only where its wording is
# available: shipped (the licence allows it) or the clinic's licensed text loaded.
# Without its wording an instrument is never sent or shown to a patient (DESIGN,
# "Clinical content"), so the default schedule is the recommended set less those.
RECOMMENDED = {
    "baseline": ("nrs", "odi", "startback", "peg", "phq2", "gad2", "psfs", "schober", "ffd"),
    "review": ("nrs", "odi", "peg", "psfs", "pgic"),
    "discharge": ("nrs", "odi", "peg", "psfs", "pgic"),
    "follow_up": ("nrs", "odi", "peg", "pgic"),
}
SHIPPED_WORDING = frozenset(i.id for i in instruments.all_instruments() if i.ship_text)
FOLLOW_UP_DAYS = {"follow_up_3m": 91, "follow_up_6m": 182}
# Clinician measurements (physical tests): entered by staff at the visit, never a
# questionnaire for the patient.
CLINICIAN_ONLY = frozenset({"schober", "ffd"})


def with_wording(ids: Iterable[str], available: Iterable[str]) -> tuple[str, ...]:
    have = set(available)
    return tuple(i for i in ids if i in have)


DEFAULT_BASELINE = with_wording(RECOMMENDED["baseline"], SHIPPED_WORDING)
DEFAULT_REVIEW = with_wording(RECOMMENDED["review"], SHIPPED_WORDING)
DEFAULT_DISCHARGE = with_wording(RECOMMENDED["discharge"], SHIPPED_WORDING)
DEFAULT_FOLLOW_UP = with_wording(RECOMMENDED["follow_up"], SHIPPED_WORDING)


@dataclass(frozen=True)
class Schedule:
    baseline: tuple[str, ...] = DEFAULT_BASELINE
    review: tuple[str, ...] = DEFAULT_REVIEW
    discharge: tuple[str, ...] = DEFAULT_DISCHARGE
    follow_up: tuple[str, ...] = DEFAULT_FOLLOW_UP
    review_every_sessions: int = 4
    review_every_days: int = 14
    not_improving_after_sessions: int = 6
    link_valid_days: int = 7

    def instruments_for(self, time_point: str) -> tuple[str, ...]:
        if time_point.startswith("follow_up"):
            return self.follow_up
        return getattr(self, time_point, ())


def schedule_for(clinic) -> Schedule:
    from acuback import sql

    from .models import OutcomeSchedule

    # A written-out read (the ORM spent 0.4 ms on the reverse one-to-one, and asked again
    # for every episode of a clinic that keeps no row).
    found = sql.fetch(OutcomeSchedule, "t0.clinic_id = %s", [clinic.pk])
    if not found:
        loaded = licensed_wording(clinic)
        if not loaded:
            return Schedule()
        # The recommended set, with what the clinic's licensed texts make available.
        available = SHIPPED_WORDING | loaded
        return Schedule(*(with_wording(RECOMMENDED[p], available)
                          for p in ("baseline", "review", "discharge", "follow_up")))
    [row] = found  # one per clinic
    return Schedule(tuple(row.baseline), tuple(row.review), tuple(row.discharge),
                    tuple(row.follow_up), row.review_every_sessions, row.review_every_days,
                    row.not_improving_after_sessions, row.link_valid_days)


def licensed_wording(clinic) -> frozenset[str]:
    """The instruments whose licensed wording this clinic has loaded."""
    from .models import InstrumentText

    return frozenset(InstrumentText.objects.filter(clinic_id=clinic.pk)
                     .values_list("instrument", flat=True))


def patient_answerable(clinic, instrument_ids: Iterable[str]) -> tuple[str, ...]:
    """Of these instruments, those a patient may be sent: questionnaires (not clinician
    measurements) whose wording is available to the clinic, in the order given."""
    wanted = [i for i in instrument_ids if i not in CLINICIAN_ONLY]
    if any(i not in SHIPPED_WORDING for i in wanted):
        available = SHIPPED_WORDING | licensed_wording(clinic)
    else:
        available = SHIPPED_WORDING  # no query when every one ships its wording
    return with_wording(wanted, available)


def waiting_for_wording(clinic) -> list[tuple[str, str, list[str]]]:
    """What loading a licensed text would add to the default schedule: (instrument id,
    name, the time points it would be collected at), for each recommended instrument
    whose wording neither ships nor is loaded."""
    available = SHIPPED_WORDING | licensed_wording(clinic)
    labels = {"baseline": "baseline", "review": "review", "discharge": "discharge",
              "follow_up": "3- and 6-month follow-up"}
    result = []
    for instrument in instruments.all_instruments():
        points = [labels[p] for p, ids in RECOMMENDED.items() if instrument.id in ids]
        if points and instrument.id not in available:
            result.append((instrument.id, instrument.name, points))
    return result
