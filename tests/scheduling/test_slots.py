"""Free-slot computation: pure rules, daylight saving included."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from acuback.scheduling.slots import Busy, Window, fits, free_slots, open_intervals

LA = ZoneInfo("America/Los_Angeles")
DAY = date(2026, 12, 1)
EARLY = datetime(2000, 1, 1, tzinfo=LA)
M45, M15 = timedelta(minutes=45), timedelta(minutes=15)


def at(hour, minute=0, day=DAY):
    return datetime.combine(day, time(hour, minute), tzinfo=LA)


def test_slots_fill_the_window_on_a_quarter_hour_grid():
    slots = free_slots(open_intervals(DAY, LA, [Window(time(9), time(11))]), [],
                       duration=M45, buffer=M15, step=M15, not_before=EARLY)
    assert [s.strftime("%H:%M") for s in slots] == ["09:00", "09:15", "09:30", "09:45",
                                                    "10:00", "10:15"]


def test_a_booking_and_its_buffer_block_the_slots_around_it():
    busy = [Busy(at(10), at(11))]  # 45 min + 15 min buffer
    slots = free_slots(open_intervals(DAY, LA, [Window(time(9), time(12))]), busy,
                       duration=M45, buffer=M15, step=M15, not_before=EARLY)
    assert [s.strftime("%H:%M") for s in slots] == ["09:00", "11:00", "11:15"]


def test_leave_is_cut_out_and_extra_hours_added():
    intervals = open_intervals(DAY, LA, [Window(time(9), time(17))],
                               closed=[Window(time(12), time(14))],
                               extra=[Window(time(18), time(19))])
    assert [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in intervals] == [
        ("09:00", "12:00"), ("14:00", "17:00"), ("18:00", "19:00")]


def test_nine_oclock_stays_nine_oclock_across_the_daylight_saving_change():
    # 2026-11-01: US clocks go back one hour. 09:00 local is 16:00 UTC (PDT) on
    # 31 October and 17:00 UTC (PST) on 2 November: the local time is what is kept.
    for day in (date(2026, 10, 31), date(2026, 11, 2), date(2026, 3, 7), date(2026, 3, 9)):
        [(start, _)] = open_intervals(day, LA, [Window(time(9), time(12))])
        assert start.astimezone(LA).hour == 9
    before = open_intervals(date(2026, 10, 31), LA, [Window(time(9), time(12))])[0][0]
    after = open_intervals(date(2026, 11, 2), LA, [Window(time(9), time(12))])[0][0]
    assert before.astimezone(ZoneInfo("UTC")).hour == 16
    assert after.astimezone(ZoneInfo("UTC")).hour == 17


def test_the_changeover_day_has_the_right_length():
    # On 2026-11-01 the 00:00–04:00 local window lasts five real hours.
    [(start, end)] = open_intervals(date(2026, 11, 1), LA, [Window(time(0), time(4))])
    assert end.astimezone(ZoneInfo("UTC")) - start.astimezone(ZoneInfo("UTC")) == \
        timedelta(hours=5)


def test_fits_explains_a_refusal():
    intervals = open_intervals(DAY, LA, [Window(time(9), time(12))])
    assert fits(at(8), intervals, [], duration=M45, buffer=M15).startswith("That time is outside")
    assert fits(at(11, 30), intervals, [], duration=M45, buffer=M15).startswith(
        "That time is outside")
    assert "just been taken" in fits(at(9, 30), intervals, [Busy(at(9), at(10))],
                                     duration=M45, buffer=M15)
    assert fits(at(10), intervals, [Busy(at(9), at(10))], duration=M45, buffer=M15) is None


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(1, 8)), max_size=6),
       st.sampled_from([15, 30, 45, 60]), st.sampled_from([0, 10, 15]))
def test_no_free_slot_ever_overlaps_a_booking_or_leaves_the_window(bookings, minutes, buffer):
    window = open_intervals(DAY, LA, [Window(time(8), time(18))])
    busy = [Busy(at(8) + timedelta(minutes=15 * s), at(8) + timedelta(minutes=15 * (s + n)))
            for s, n in bookings]
    duration, buf = timedelta(minutes=minutes), timedelta(minutes=buffer)
    for slot in free_slots(window, busy, duration=duration, buffer=buf, step=M15,
                           not_before=EARLY):
        assert at(8) <= slot and slot + duration <= at(18)
        assert all(not (slot < b.end and slot + duration + buf > b.start) for b in busy)
        assert fits(slot, window, busy, duration=duration, buffer=buf) is None
