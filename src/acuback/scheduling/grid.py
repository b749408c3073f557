"""The calendar as a time grid: rows of time, a column per practitioner (day view) or per
day (a practitioner's week), each visit placed at its start and spanning its length.

Pure Python (no Django), like slots.py: the layout is a rule the tests check by itself.
Rows are the clock of the location (09:00 stays 09:00 across a daylight-saving change);
a column's times become instants only with its own day and zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

DAY_MINUTES = 24 * 60


class Placed(Protocol):
    """What the grid needs of a visit: its start and end on the location's clock."""

    local_start: datetime
    local_end: datetime


@dataclass
class Column:
    """One column: whose (``label``) and which day, when they work there (open), what keeps them
    busy (visits anywhere, with their buffers, and held slots), whether the calendar may
    offer their free time (cleared to needle there that day) and the visits to show."""

    label: str
    day: date
    tz: ZoneInfo
    open: Sequence[tuple[datetime, datetime]] = ()
    busy: Sequence[tuple[datetime, datetime]] = ()
    bookable: bool = True
    entries: list = field(default_factory=list)
    practitioner_pk: int = 0
    location_pk: int = 0
    note: str = ""  # why its free time is not offered, when it is not


@dataclass
class Cell:
    """A cell of a column. kind: "visits" (spanning ``rows`` rows, holding one or more
    visits that overlap, e.g. a cancelled visit and the booking that took its place, and
    the times among its rows still free),
    "free" (bookable from ``start``), "taken" (open but busy: a buffer, a held slot, a
    visit at another location), "past" (open but gone) or "closed" (not working)."""

    kind: str
    row: int
    rows: int = 1
    start: datetime | None = None
    entries: list = field(default_factory=list)
    # A visits cell's rows that are still free (a cancelled visit or a no-show keeps no
    # one busy): bookable from inside the cell.
    free: list[datetime] = field(default_factory=list)


def _minutes(moment: datetime, day: date) -> int:
    """Minutes since the day's midnight on the location's clock, clipped to the day (a
    visit that crosses midnight is shown up to the day's end)."""
    days = (moment.date() - day).days
    return max(0, min(DAY_MINUTES, days * DAY_MINUTES + moment.hour * 60 + moment.minute))


def hours(columns: Sequence[Column], step: timedelta) -> list[time]:
    """The rows: from the earliest opening (or visit) of any column to the latest closing
    (or visit end), every ``step``, aligned to whole steps since midnight. Empty when no one
    works and no visit is booked."""
    size = int(step.total_seconds() // 60)
    edges: list[int] = []
    for c in columns:
        for begin, end in c.open:
            edges += [_minutes(begin.astimezone(c.tz), c.day), _minutes(end.astimezone(c.tz), c.day)]
        for e in c.entries:
            edges += [_minutes(e.local_start, c.day), _minutes(e.local_end, c.day)]
    if not edges:
        return []
    first = min(edges) // size * size
    last = min(DAY_MINUTES, -(-max(edges) // size) * size)
    return [time(m // 60, m % 60) for m in range(first, max(last, first + size), size)]


def layout(column: Column, rows: Sequence[time], step: timedelta, now: datetime) -> list[Cell]:
    """The column's cells from top to bottom; their ``rows`` add up to ``len(rows)``.
    Visits that overlap share one cell, so no visit is ever hidden behind another."""
    if not rows:
        return []
    size = int(step.total_seconds() // 60)
    first = rows[0].hour * 60 + rows[0].minute
    spans = []
    for entry in column.entries:
        top = (_minutes(entry.local_start, column.day) - first) // size
        bottom = -(-(_minutes(entry.local_end, column.day) - first) // size)
        top = max(0, min(top, len(rows) - 1))
        spans.append((top, max(top + 1, min(bottom, len(rows))), entry))
    spans.sort(key=lambda s: (s[0], s[2].local_start))
    groups: list[Cell] = []
    for top, bottom, entry in spans:
        if groups and top < groups[-1].row + groups[-1].rows:
            group = groups[-1]
            group.rows = max(group.rows, bottom - group.row)
            group.entries.append(entry)
        else:
            groups.append(Cell("visits", top, bottom - top, entries=[entry]))
    cells: list[Cell] = []
    index = 0
    for group in [*groups, None]:
        stop = group.row if group is not None else len(rows)
        for row in range(index, stop):
            cells.append(_empty_cell(column, rows[row], row, step, now))
        if group is not None:
            group.free = [c.start for c in (
                _empty_cell(column, rows[row], row, step, now)
                for row in range(group.row, group.row + group.rows))
                if c.kind == "free" and c.start is not None]
            cells.append(group)
            index = group.row + group.rows
    return cells


def _empty_cell(column: Column, clock: time, row: int, step: timedelta, now: datetime) -> Cell:
    start = datetime.combine(column.day, clock, tzinfo=column.tz)
    end = start + step
    if not any(begin <= start and end <= finish for begin, finish in column.open):
        return Cell("closed", row, start=start)
    if start < now:
        return Cell("past", row, start=start)
    if any(start < until and end > begin for begin, until in column.busy):
        return Cell("taken", row, start=start)
    return Cell("free" if column.bookable else "taken", row, start=start)
