"""Issue #28 §2: the booking page the front desk runs. A patient preset from the chart,
only practitioners cleared to needle there that day offered, "next available" across days
and practitioners."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.urls import reverse

from acuback.accounts import zones
from acuback.scheduling.models import Appointment, AppointmentType, WeeklyAvailability
from tests.factories import make_practitioner


def available(practitioner, location, weekdays=range(7), start=9, end=17):
    for weekday in weekdays:
        WeeklyAvailability.objects.create(practitioner=practitioner, location=location,
                                          weekday=weekday, start_time=time(start),
                                          end_time=time(end))


@pytest.fixture
def desk(world):
    world.type = AppointmentType.objects.create(clinic=world.clinic, name="Follow-up",
                                                kind="follow_up", duration_minutes=45,
                                                buffer_minutes=15)
    world.today = zones.today_at(world.location)
    world.tomorrow = world.today + timedelta(days=1)
    # Licensed today, lapsed tomorrow; and one whose licence lapsed a week ago.
    world.lapsing = make_practitioner(world.clinic, expires_in_days=0)
    world.lapsed = make_practitioner(world.clinic, expires_in_days=-7)
    for who in (world.practitioner_record, world.lapsing, world.lapsed):
        available(who, world.location)
    return world


def search(world, **fields):
    return {"patient": world.patient.pk, "location": world.location.pk,
            "type": world.type.pk, "day": world.tomorrow.isoformat(), **fields}


def test_a_patient_preset_in_the_url_opens_the_form_with_that_patient(desk, login):
    client = login(desk.front_desk)
    page = client.get(reverse("appointment_book"), {"patient": desk.patient.pk})
    assert page.status_code == 200
    assert str(page.context["form"]["patient"].value()) == str(desk.patient.pk)
    assert not page.context["form"].errors


def test_the_chart_has_book_leading_to_the_form_for_that_patient(desk, login):
    client = login(desk.front_desk)
    chart = client.get(reverse("patient_chart", args=[desk.patient.pk])).content.decode()
    assert f'{reverse("appointment_book")}?patient={desk.patient.pk}"' in chart


def offered(page) -> set[int]:
    return {p.pk for p in page.context["form"].fields["practitioner"].queryset}


def test_only_practitioners_cleared_at_the_location_on_the_date_are_offered(desk, login):
    client = login(desk.front_desk)
    today = client.get(reverse("appointment_book"),
                       {"patient": desk.patient.pk, "day": desk.today.isoformat()})
    assert offered(today) == {desk.practitioner_record.pk, desk.lapsing.pk}
    tomorrow = client.get(reverse("appointment_book"), search(desk))
    assert offered(tomorrow) == {desk.practitioner_record.pk}
    html = tomorrow.content.decode()
    assert desk.lapsed.display_name not in html and desk.lapsing.display_name not in html


def test_a_practitioner_not_cleared_that_day_is_refused_before_any_time(desk, login):
    client = login(desk.front_desk)
    page = client.get(reverse("appointment_book"),
                      search(desk, practitioner=desk.lapsing.pk))
    assert page.status_code == 400
    [message] = page.context["form"].errors["practitioner"]
    assert message.startswith("Not cleared to needle at this location on this date")
    assert not page.context["free"] and not page.context["soonest"]


def test_next_available_spans_days_and_practitioners(desk, login):
    # Tomorrow nobody works; the day after, the cleared practitioner from 13:00 only.
    WeeklyAvailability.objects.all().delete()
    after = desk.tomorrow + timedelta(days=1)
    available(desk.practitioner_record, desk.location, [after.weekday()], start=13)
    available(desk.lapsed, desk.location, [desk.tomorrow.weekday(), after.weekday()])
    other = make_practitioner(desk.clinic)
    available(other, desk.location, [after.weekday()], start=9, end=11)
    client = login(desk.front_desk)
    page = client.get(reverse("appointment_book"), search(desk))
    soonest = page.context["soonest"]
    assert [s.practitioner.pk for s in soonest[:2]] == [other.pk, other.pk]
    assert soonest[0].start.astimezone(zones.zone_of(desk.location)).hour == 9
    assert soonest[0].start.astimezone(zones.zone_of(desk.location)).date() == after
    assert desk.practitioner_record.pk in {s.practitioner.pk for s in soonest}
    assert desk.lapsed.pk not in {s.practitioner.pk for s in soonest}
    booked = client.post(reverse("appointment_book"),
                         {**search(desk), "slot": soonest[2].value})
    assert booked.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.practitioner_id, appointment.start) == (soonest[2].practitioner.pk,
                                                                soonest[2].start)
