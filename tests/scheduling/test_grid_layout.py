"""The time grid's layout rule (scheduling.grid, pure): every visit shown once, at its
start, spanning its length; no cell hidden or counted twice; free time only where the
practitioner works, nothing keeps them busy and the time has not gone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from acuback.scheduling import grid

TZ = ZoneInfo("America/Vancouver")
DAY = date(2026, 3, 8)  # the day the clocks go forward in Vancouver
STEP = timedelta(minutes=15)


@dataclass
class Visit:
    local_start: datetime
    local_end: datetime


def at(minutes: int, day: date = DAY) -> datetime:
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=TZ)


visits = st.lists(st.tuples(st.integers(6 * 60, 20 * 60), st.integers(5, 120)), max_size=8)
windows = st.lists(st.tuples(st.integers(7 * 4, 18 * 4), st.integers(1, 16)), max_size=3)


@settings(max_examples=200, deadline=None)
@given(visits=visits, windows=windows, busy=visits, now_minutes=st.integers(0, 24 * 60 - 1))
def test_every_visit_once_at_its_start_and_every_row_once(visits, windows, busy, now_minutes):
    entries = [Visit(at(s), at(min(s + length, 23 * 60))) for s, length in visits]
    open_ = [(at(q * 15), at(min((q + n) * 15, 23 * 60))) for q, n in windows]
    taken = [(at(s), at(min(s + length, 23 * 60))) for s, length in busy]
    column = grid.Column(label="Mei Lin", day=DAY, tz=TZ, open=open_, busy=taken,
                         entries=entries)
    rows = grid.hours([column], STEP)
    cells = grid.layout(column, rows, STEP, now=at(now_minutes))
    assert sum(c.rows for c in cells) == len(rows)
    assert [c.row for c in cells] == sorted({c.row for c in cells})  # top to bottom, no gaps
    shown = [e for c in cells if c.kind == "visits" for e in c.entries]
    assert sorted(map(id, shown)) == sorted(map(id, entries))
    starts = [r.hour * 60 + r.minute for r in rows]
    for cell in cells:
        top, bottom = starts[cell.row], starts[cell.row] + 15 * cell.rows
        for n, e in enumerate(cell.entries):  # within its cell, which starts at the first
            begin = e.local_start.hour * 60 + e.local_start.minute
            end = e.local_end.hour * 60 + e.local_end.minute
            assert top <= begin < bottom and end <= bottom
            if n == 0:
                assert begin < top + 15
        for start in [cell.start] if cell.kind == "free" else cell.free:
            assert cell.kind in ("free", "visits")
            assert top <= start.hour * 60 + start.minute < bottom
            assert start >= at(now_minutes)
            assert any(b <= start and start + STEP <= f for b, f in open_)
            assert not any(start < f and start + STEP > b for b, f in taken)


def test_a_cancelled_visit_and_the_booking_in_its_place_share_one_cell():
    cancelled, booked = Visit(at(600), at(645)), Visit(at(600), at(660))
    column = grid.Column(label="Mei Lin", day=DAY, tz=TZ, open=[(at(540), at(720))],
                         entries=[cancelled, booked])
    rows = grid.hours([column], STEP)
    assert rows[0] == time(9) and rows[-1] == time(11, 45)
    cells = grid.layout(column, rows, STEP, now=at(0))
    [visits] = [c for c in cells if c.kind == "visits"]
    assert (visits.row, visits.rows, visits.entries) == (4, 4, [cancelled, booked])
    assert visits.free == [at(600), at(615), at(630), at(645)]  # nothing in busy here
    assert [c.kind for c in cells[:4]] == ["free"] * 4


def test_the_time_of_a_cancelled_visit_stays_bookable_from_its_cell():
    cancelled = Visit(at(600), at(645))
    column = grid.Column(label="Mei Lin", day=DAY, tz=TZ, open=[(at(540), at(720))],
                         busy=[(at(630), at(660))], entries=[cancelled])
    rows = grid.hours([column], STEP)
    [visits] = [c for c in grid.layout(column, rows, STEP, now=at(0)) if c.kind == "visits"]
    assert visits.free == [at(600), at(615)]  # 10:30 is busy (another booking's buffer)


def test_rows_follow_the_location_clock_across_the_change_of_hour():
    """09:00 is 09:00 on the morning the clocks go forward (a row is a clock time)."""
    column = grid.Column(label="Mei Lin", day=DAY, tz=TZ, open=[(at(540), at(600))])
    rows = grid.hours([column], STEP)
    cells = grid.layout(column, rows, STEP, now=at(0))
    assert [c.start.strftime("%H:%M %Z") for c in cells] == [
        "09:00 PDT", "09:15 PDT", "09:30 PDT", "09:45 PDT"]


def test_a_practitioner_not_cleared_offers_no_free_time():
    column = grid.Column(label="Mei Lin", day=DAY, tz=TZ, open=[(at(540), at(600))],
                         bookable=False)
    rows = grid.hours([column], STEP)
    assert {c.kind for c in grid.layout(column, rows, STEP, now=at(0))} == {"taken"}


def test_no_one_working_and_no_visit_is_no_rows():
    assert grid.hours([grid.Column(label="Mei Lin", day=DAY, tz=TZ)], STEP) == []
