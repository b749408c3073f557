"""Check-in, completion and no-show are recorded on the visit's day only, by the
calendar of the location's zone, and can be undone that day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from acuback.audit.models import AuditEvent
from acuback.scheduling import services
from acuback.scheduling.slots import on_visit_day
from tests.factories import make_appointment, request_for

VANCOUVER = ZoneInfo("America/Vancouver")
# 13:30 in Vancouver on Tuesday 8 December 2026 is 21:30 UTC, and Wednesday 9 December
# on the test server (UTC+14).
VISIT = datetime(2026, 12, 8, 13, 30, tzinfo=VANCOUVER)


@pytest.fixture
def visit(world):
    world.location.time_zone = "America/Vancouver"
    world.location.save()
    with time_machine.travel(VISIT - timedelta(days=3), tick=False):
        world.appointment = make_appointment(world, start=VISIT)
    world.request = request_for(world.front_desk)
    return world


def act(world, action, at):
    with time_machine.travel(at, tick=False):
        return services.appointment_transition(appointment=world.appointment, action=action,
                                               request=world.request)


@pytest.mark.parametrize("action", ["check_in", "complete", "no_show"])
def test_nothing_is_recorded_the_day_before(visit, action):
    with pytest.raises(services.BookingRefused,
                       match="only on the day of the visit .Tuesday 8 December.; it is "
                             "Monday 7 December"):
        act(visit, action, VISIT - timedelta(days=1))
    visit.appointment.refresh_from_db()
    assert visit.appointment.status == "booked"


def test_the_day_is_the_locations_not_utcs_or_the_servers(visit):
    # 20:00 on Monday in Vancouver: Tuesday in UTC and on the server, not yet at the clinic.
    monday_evening = datetime(2026, 12, 7, 20, tzinfo=VANCOUVER)
    assert monday_evening.astimezone(UTC).date() == VISIT.date()
    with pytest.raises(services.BookingRefused, match="only on the day of the visit"):
        act(visit, "check_in", monday_evening)
    # 23:00 on Tuesday in Vancouver: Wednesday in UTC, still the visit's day at the clinic.
    tuesday_late = datetime(2026, 12, 8, 23, tzinfo=VANCOUVER)
    assert act(visit, "check_in", tuesday_late).status == "checked_in"


def test_on_the_day_check_in_complete_and_undo_each_step(visit):
    morning = VISIT - timedelta(hours=4)
    assert act(visit, "check_in", morning).status == "checked_in"
    assert act(visit, "complete", VISIT + timedelta(hours=1)).status == "completed"
    assert act(visit, "undo", VISIT + timedelta(hours=2)).status == "checked_in"
    undone = act(visit, "undo", VISIT + timedelta(hours=2))
    assert undone.status == "booked" and undone.checked_in_at is None
    with pytest.raises(services.BookingRefused, match="nothing to undo"):
        act(visit, "undo", VISIT + timedelta(hours=2))
    assert AuditEvent.objects.filter(action="appointment.undo").count() == 2


def test_a_no_show_is_undone_the_same_day_but_not_the_next(visit):
    assert act(visit, "no_show", VISIT + timedelta(minutes=20)).status == "no_show"
    assert act(visit, "undo", VISIT + timedelta(minutes=30)).status == "booked"
    act(visit, "no_show", VISIT + timedelta(minutes=40))
    with pytest.raises(services.BookingRefused, match="Undo is possible only on the day"):
        act(visit, "undo", VISIT + timedelta(days=1))
    visit.appointment.refresh_from_db()
    assert visit.appointment.status == "no_show"


def test_the_day_view_refuses_a_future_check_in_with_the_reason(visit, login):
    client = login(visit.front_desk)
    with time_machine.travel(VISIT - timedelta(days=2), tick=False):
        response = client.post(reverse("appointment_action",
                                       args=[visit.appointment.pk, "check_in"]), follow=True)
    assert "Check-in is possible only on the day of the visit" in response.content.decode()
    visit.appointment.refresh_from_db()
    assert visit.appointment.status == "booked"


@given(minutes=st.integers(min_value=-4 * 24 * 60, max_value=4 * 24 * 60),
       zone=st.sampled_from(["America/Vancouver", "America/Chicago", "Pacific/Kiritimati",
                             "Asia/Kolkata", "UTC"]))
def test_the_visits_day_is_the_same_calendar_date_in_the_locations_zone(minutes, zone):
    tz = ZoneInfo(zone)
    now = VISIT + timedelta(minutes=minutes)
    expected = VISIT.astimezone(tz).date() == now.astimezone(tz).date()
    assert on_visit_day(VISIT, now.astimezone(UTC), tz) is expected
