"""The default collection schedule (issue 5; a clinic may keep its own OutcomeSchedule row)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BASELINE = ("nrs", "odi", "startback", "peg", "phq2", "gad2", "psfs", "schober", "ffd")
DEFAULT_REVIEW = ("nrs", "odi", "peg", "psfs", "pgic")
DEFAULT_DISCHARGE = ("nrs", "odi", "peg", "psfs", "pgic")
DEFAULT_FOLLOW_UP = ("nrs", "odi", "peg", "pgic")
FOLLOW_UP_DAYS = {"follow_up_3m": 91, "follow_up_6m": 182}
# Patients complete these themselves; clinician tests are entered by staff.
CLINICIAN_ONLY = frozenset({"schober", "ffd"})


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
        return Schedule()
    [row] = found  # one per clinic
    return Schedule(tuple(row.baseline), tuple(row.review), tuple(row.discharge),
                    tuple(row.follow_up), row.review_every_sessions, row.review_every_days,
                    row.not_improving_after_sessions, row.link_valid_days)
