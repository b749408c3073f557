"""The dates the system accepts from anyone (a project rule): a birth, a visit, a claim,
an adverse event or a calendar page. Far enough from Python's date.min and date.max
(years 1 and 9999) that code may step a week, a month or a year either side without an
OverflowError (an adverse event dated 0001-01-01 broke the research export)."""

from __future__ import annotations

from datetime import date, datetime

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
OUT_OF_RANGE = f"Give a date from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}."


def in_range(value) -> bool:
    """Whether a date or date-time lies within EARLIEST..LATEST (None is not judged)."""
    if value is None:
        return True
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST
