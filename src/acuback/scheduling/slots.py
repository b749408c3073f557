"""Free appointment slots from weekly availability, exceptions and existing bookings.

Pure Python (no Django): the same rules serve the front desk, online booking and
tests. Times are built in the location's time zone (so 09:00 stays 09:00 across
a daylight-saving change) and returned as aware datetimes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Window:
    start: time
    end: time


@dataclass(frozen=True)
class Busy:
    start: datetime
    end: datetime  # includes the buffer after the appointment


def _merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(intervals, holes):
    result = []
    for start, end in intervals:
        pieces = [(start, end)]
        for h_start, h_end in holes:
            next_pieces = []
            for p_start, p_end in pieces:
                if h_end <= p_start or h_start >= p_end:
                    next_pieces.append((p_start, p_end))
                    continue
                if p_start < h_start:
                    next_pieces.append((p_start, h_start))
                if h_end < p_end:
                    next_pieces.append((h_end, p_end))
            pieces = next_pieces
        result += pieces
    return result


def open_intervals(day: date, tz: ZoneInfo, windows: Iterable[Window],
                   closed: Iterable[Window] = (), extra: Iterable[Window] = ()
                   ) -> list[tuple[datetime, datetime]]:
    """The day's working intervals: weekly windows plus extra, minus closed ones."""
    def aware(w: Window):
        return (datetime.combine(day, w.start, tzinfo=tz), datetime.combine(day, w.end, tzinfo=tz))

    working = _merge([aware(w) for w in (*windows, *extra) if w.end > w.start])
    return _subtract(working, [aware(w) for w in closed])


def free_slots(intervals: list[tuple[datetime, datetime]], busy: Iterable[Busy], *,
               duration: timedelta, buffer: timedelta, step: timedelta,
               not_before: datetime) -> list[datetime]:
    """Start times where duration + buffer fits in an open interval and meets no booking."""
    taken = [(b.start, b.end) for b in busy]
    slots = []
    for start, end in intervals:
        candidate = start
        while candidate + duration <= end:
            finish = candidate + duration + buffer
            clash = any(candidate < b_end and finish > b_start for b_start, b_end in taken)
            if not clash and candidate >= not_before:
                slots.append(candidate)
            candidate += step
    return slots


def fits(start: datetime, intervals: list[tuple[datetime, datetime]], busy: Iterable[Busy], *,
         duration: timedelta, buffer: timedelta) -> str | None:
    """None if an appointment may start then; otherwise why not, in words."""
    end = start + duration
    if not any(i_start <= start and end <= i_end for i_start, i_end in intervals):
        return "That time is outside the practitioner's availability at this location."
    finish = end + buffer
    if any(start < b.end and finish > b.start for b in busy):
        return "That slot has just been taken: choose another time."
    return None


def on_visit_day(start: datetime, now: datetime, tz: ZoneInfo) -> bool:
    """Is `now` on the day of the visit starting at `start`, by the calendar of the
    location's zone (not the server's, not UTC)? Arrival, completion and no-show are
    recorded on that day only, and undone on that day only."""
    return start.astimezone(tz).date() == now.astimezone(tz).date()
