"""Issue #28 §2: the day view as a time grid (a column per practitioner working that day,
rows of the location's clock) and a practitioner's week as seven day columns; a free time
is a link that books it, preset; cancelled and no-show visits say so."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse

from acuback.accounts import zones
from acuback.scheduling.models import AppointmentType, WeeklyAvailability
from tests.factories import make_appointment, make_patient, make_practitioner


def arrange_day(world):
    """A Vancouver location (neither the server's zone nor the browser's): Prac A works
    9-12 and is cleared; Prac B's licence lapsed. On a day ahead: Alice booked at 10:00,
    Bruno cancelled at 09:00, Carla a no-show at 11:00."""
    world.location.time_zone = "America/Vancouver"
    world.location.save()
    world.lapsed = make_practitioner(world.clinic, expires_in_days=-3)
    world.lapsed.display_name = "Zoe Lapsed"
    world.lapsed.save()
    world.practitioner_record.display_name = "Mei Lin"
    world.practitioner_record.save()
    for who in (world.practitioner_record, world.lapsed):
        for weekday in range(7):
            WeeklyAvailability.objects.create(practitioner=who, location=world.location,
                                              weekday=weekday, start_time=time(9),
                                              end_time=time(12))
    world.type = AppointmentType.objects.create(clinic=world.clinic, name="Follow-up",
                                                kind="follow_up", duration_minutes=45,
                                                buffer_minutes=15)
    world.tz = zones.zone_of(world.location)
    world.day = zones.today_at(world.location) + timedelta(days=2)

    def at(hour, minute=0, day=None):
        return datetime.combine(day or world.day, time(hour, minute), tzinfo=world.tz)

    world.at = at
    world.booked = make_appointment(world, start=at(10))
    world.cancelled = make_appointment(world, start=at(9), patient=world.other_patient,
                                       status="cancelled", cancel_reason="Patient phoned")
    carla = make_patient(world.clinic, given_name="Carla", family_name="Cruz")
    world.no_show = make_appointment(world, start=at(11), patient=carla, status="no_show")
    return world


@pytest.fixture
def day(world):
    return arrange_day(world)


def grid_of(page: str) -> str:
    return re.search(r'<table class="cal-grid".*?</table>', page, re.S).group(0)


def test_the_day_is_a_grid_of_the_location_clock_a_column_per_practitioner(day, login):
    page = login(day.front_desk).get(reverse("calendar_day"),
                                     {"date": day.day.isoformat()}).content.decode()
    table = grid_of(page)
    heads = re.findall(r'<th scope="col">(.*?)</th>', table)
    assert heads[0] == "Time" and heads[1] == "Mei Lin" and heads[2].startswith("Zoe Lapsed")
    assert "not cleared to needle here" in heads[2]
    assert "America/Vancouver" in table and "a row is 15 minutes" in table
    rows = re.findall(r"<tr[^>]*><th scope=\"row\">(\d\d:\d\d)</th>", table)
    assert rows[0] == "09:00" and rows[-1] == "11:45" and len(rows) == 12
    # Alice's 45 minutes span three rows from the 10:00 row, on the location's clock.
    ten = re.search(r'<th scope="row">10:00</th>(.*?)</tr>', table, re.S).group(1)
    assert re.search(r'<td class="visits" rowspan="3"><div class="visit visit-booked"'
                     r'[^>]*><span class="visit-when">10:00–10:45</span> <a href="[^"]+">'
                     r'Alice Archer</a>', ten)


def test_cancelled_and_no_show_visits_say_so_in_words(day, login):
    table = grid_of(login(day.front_desk).get(reverse("calendar_day"),
                                              {"date": day.day.isoformat()}).content.decode())
    cancelled = re.search(r'<div class="visit visit-cancelled".*?</div>', table, re.S).group(0)
    assert "Bruno Baker" in cancelled and ">Cancelled<" in cancelled
    assert "Patient phoned" in cancelled and "Move…" not in cancelled
    no_show = re.search(r'<div class="visit visit-no_show".*?</div>', table, re.S).group(0)
    assert "Carla Cruz" in no_show and ">No-show<" in no_show
    booked = re.search(r'<div class="visit visit-booked".*?</div>', table, re.S).group(0)
    assert ">Booked<" in booked and "Move…" in booked


def test_a_free_time_books_that_practitioner_time_and_place(day, login):
    client = login(day.front_desk)
    table = grid_of(client.get(reverse("calendar_day"),
                               {"date": day.day.isoformat()}).content.decode())
    links = re.findall(r'<a class="free-slot" href="([^"]+)"', table)
    # Mei Lin: 09:00-11:45 less Alice (10:00-11:00 with the buffer); the cancelled and
    # no-show visits free their time (bookable from their cells). Zoe's lapsed licence:
    # no free time is offered.
    assert len(links) == 8
    assert re.search(r'<td class="visits" rowspan="3">.*?Bruno Baker.*?<span class="free-in">'
                     r'<a class="free-slot"', table, re.S)
    assert all(f"practitioner={day.practitioner_record.pk}&amp;" in link for link in links)
    first = links[0].replace("&amp;", "&")
    assert first == (f"{reverse('appointment_book')}?practitioner={day.practitioner_record.pk}"
                     f"&location={day.location.pk}&day={day.day.isoformat()}&time=09%3A00")
    booking = client.get(first).content.decode()
    assert f'<option value="{day.practitioner_record.pk}" selected>' in booking
    assert f'value="{day.day.isoformat()}"' in booking
    assert "Time chosen on the calendar: <strong>09:00</strong>" in booking
    assert '<input type="hidden" name="time" value="09:00">' in booking
    search = client.get(first + f"&patient={day.patient.pk}&type={day.type.pk}").content.decode()
    checked = re.findall(r'<input type="radio" name="start" value="([^"]+)" required checked>',
                         search)
    assert checked == [day.at(9).isoformat()]


def test_a_practitioners_week_is_seven_day_columns(day, login):
    client = login(day.front_desk)
    other_day = day.day + timedelta(days=1 if day.day.weekday() < 6 else -1)  # same week
    make_appointment(day, start=day.at(11, 15, day=other_day), patient=make_patient(
        day.clinic, given_name="Dora", family_name="Diaz"))
    page = client.get(reverse("calendar_week"), {
        "date": day.day.isoformat(), "practitioner": day.practitioner_record.pk}).content.decode()
    table = grid_of(page)
    heads = re.findall(r'<th scope="col">(.*?)</th>', table)
    monday = day.day - timedelta(days=day.day.weekday())
    assert len(heads) == 8 and heads[0] == "Time"
    assert [re.sub(r"<[^>]+>", "", h) for h in heads[1:]] == [
        f"{monday + timedelta(days=n):%a %-d %b}" for n in range(7)]
    assert "America/Vancouver" in table and "Zoe Lapsed" not in table
    # Dora at 11:15 in her day's column, on the location's clock.
    eleven = re.search(r'<th scope="row">11:15</th>(.*?)</tr>', table, re.S).group(1)
    cells = re.findall(r"<td.*?</td>", eleven, re.S)
    dora = [n for n, c in enumerate(cells) if "Dora Diaz" in c]
    assert dora and "11:15–12:00" in cells[dora[0]]
    free = re.findall(r'<a class="free-slot" href="([^"]+)"', table)
    days = {re.search(r"day=([\d-]+)", link).group(1) for link in free}
    assert other_day.isoformat() in days and day.day.isoformat() in days
    # Without a practitioner, the week is the clinic's list as before.
    plain = client.get(reverse("calendar_week"), {"date": day.day.isoformat()}).content.decode()
    assert 'class="cal-grid"' not in plain and "Choose a practitioner" in plain


def test_a_week_without_work_there_says_so(day, login):
    from tests.factories import make_location

    annex = make_location(day.clinic)
    page = login(day.front_desk).get(reverse("calendar_week"), {
        "date": day.day.isoformat(), "practitioner": day.practitioner_record.pk,
        "location": annex.pk}).content.decode()
    assert 'class="cal-grid"' not in page
    assert "does not work at" in page and annex.name in page


def test_a_time_that_is_not_a_time_is_named_not_used(day, login):
    page = login(day.front_desk).get(reverse("appointment_book"), {
        "practitioner": day.practitioner_record.pk, "time": "25:99"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Time: “25:99” is not a time (HH:MM)" in text and 'name="time"' not in text


def test_an_inactive_practitioner_is_a_column_only_for_their_visits(day, login):
    day.lapsed.is_active = False
    day.lapsed.save()
    client = login(day.front_desk)
    table = grid_of(client.get(reverse("calendar_day"),
                               {"date": day.day.isoformat()}).content.decode())
    assert "Zoe Lapsed" not in table
    make_appointment(day, start=day.at(9, 30), practitioner=day.lapsed,
                     patient=make_patient(day.clinic, given_name="Eve", family_name="Early"))
    table = grid_of(client.get(reverse("calendar_day"),
                               {"date": day.day.isoformat()}).content.decode())
    assert "Zoe Lapsed" in table and "practitioner is inactive" in table and "Eve Early" in table
