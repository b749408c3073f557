"""Booking through the service and the calendar pages."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from acuback.scheduling import services
from acuback.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    WeeklyAvailability,
)
from tests.factories import clinic_today, make_practitioner, request_for

CHICAGO = ZoneInfo("America/Chicago")


def clinic_today_chicago():
    return datetime.now(CHICAGO).date()


def next_weekday(weekday: int):
    day = clinic_today_chicago() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


@pytest.fixture
def setup(world):
    world.type = AppointmentType.objects.create(clinic=world.clinic, name="Follow-up",
                                                kind="follow_up", duration_minutes=45,
                                                buffer_minutes=15)
    for weekday in range(7):
        WeeklyAvailability.objects.create(practitioner=world.practitioner_record,
                                          location=world.location, weekday=weekday,
                                          start_time=time(9), end_time=time(17))
    world.day = next_weekday(2)
    return world


def book(world, hour=10, minute=0, practitioner=None, day=None):
    start = datetime.combine(day or world.day, time(hour, minute), tzinfo=CHICAGO)
    return services.appointment_book(patient=world.patient,
                                     practitioner=practitioner or world.practitioner_record,
                                     location=world.location, type=world.type, start=start,
                                     request=request_for(world.front_desk))


def test_a_booking_is_stored_in_utc_with_its_buffer(setup):
    appointment = book(setup)
    assert appointment.start.utcoffset() == timedelta(0) or appointment.start.tzinfo
    assert appointment.start.astimezone(CHICAGO).hour == 10
    assert appointment.busy_until - appointment.start == timedelta(minutes=60)


@pytest.mark.parametrize("hour, minute, message", [
    (8, 0, "outside the practitioner's availability"),
    (16, 30, "outside the practitioner's availability"),
])
def test_outside_availability_is_refused(setup, hour, minute, message):
    with pytest.raises(services.BookingRefused, match=message):
        book(setup, hour, minute)


def test_an_overlapping_booking_is_refused(setup):
    book(setup, 10)
    with pytest.raises(services.BookingRefused, match="just been taken"):
        book(setup, 10, 30)
    book(setup, 11)  # after the 15-minute buffer


def test_a_booking_in_the_past_is_refused(setup):
    with pytest.raises(services.BookingRefused, match="in the past"):
        # Yesterday on the clinic's calendar: the server's date may already be tomorrow.
        book(setup, day=clinic_today(setup.location) - timedelta(days=1))


def test_a_practitioner_not_cleared_at_the_location_is_refused(setup):
    lapsed = make_practitioner(setup.clinic, expires_in_days=-1)
    with pytest.raises(services.BookingRefused, match="not cleared to needle"):
        book(setup, practitioner=lapsed)


def test_a_holiday_closes_the_day(setup):
    AvailabilityException.objects.create(location=setup.location, date=setup.day,
                                         reason="Thanksgiving")
    with pytest.raises(services.BookingRefused, match="outside"):
        book(setup)


def test_status_changes_follow_the_rules(setup):
    appointment = book(setup)
    request = request_for(setup.front_desk)
    with pytest.raises(services.BookingRefused, match="reason"):
        services.appointment_transition(appointment=appointment, action="cancel",
                                        request=request)
    with time_machine.travel(appointment.start - timedelta(hours=1)):  # on the day
        services.appointment_transition(appointment=appointment, action="check_in",
                                        request=request)
        with pytest.raises(services.BookingRefused, match="cannot become No-show"):
            services.appointment_transition(appointment=appointment, action="no_show",
                                            request=request)
        done = services.appointment_transition(appointment=appointment, action="complete",
                                               request=request)
    assert done.status == "completed"


def test_a_cancelled_slot_can_be_booked_again(setup):
    appointment = book(setup)
    services.appointment_transition(appointment=appointment, action="cancel",
                                    request=request_for(setup.front_desk), reason="Unwell")
    assert book(setup).status == "booked"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_for_one_slot_make_one_booking(setup):
    if connection.vendor != "postgresql":
        pytest.skip("The concurrency test runs against PostgreSQL, as the issue asks.")
    results: list[str] = []
    barrier = threading.Barrier(2)

    def attempt():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            book(setup)
            results.append("booked")
        except services.BookingRefused as exc:
            results.append(str(exc))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["That slot has just been taken: choose another time.", "booked"]
    assert Appointment.objects.count() == 1


def test_the_front_desk_books_through_the_page_and_sees_it_in_the_day_view(setup, login):
    client = login(setup.front_desk)
    query = {"patient": setup.patient.pk, "practitioner": setup.practitioner_record.pk,
             "location": setup.location.pk, "type": setup.type.pk,
             "day": setup.day.isoformat()}
    page = client.get(reverse("appointment_book"), query)
    free = [s for s, _ in page.context["free"]]
    assert free[0].astimezone(CHICAGO).hour == 9
    response = client.post(reverse("appointment_book"), {**query,
                                                          "start": free[4].isoformat()})
    assert response.status_code == 302
    day = client.get(reverse("calendar_day"), {"date": setup.day.isoformat()})
    [entry] = day.context["entries"]
    assert entry.local_start.hour == 10 and "Alice Archer" in day.content.decode()
    assert "treatment consent" in entry.due
    taken = client.post(reverse("appointment_book"), {**query, "start": free[4].isoformat()})
    assert taken.status_code == 400 and "just been taken" in taken.content.decode()


def test_the_booking_page_refuses_a_past_date_on_its_field(setup, login):
    client = login(setup.front_desk)
    response = client.get(reverse("appointment_book"), {
        "patient": setup.patient.pk, "practitioner": setup.practitioner_record.pk,
        "location": setup.location.pk, "type": setup.type.pk, "day": "2001-01-01"})
    assert response.context["form"].errors["day"] == ["That date is in the past."]


def test_the_day_view_query_count_does_not_grow(setup, login, django_assert_max_num_queries):
    for hour in (9, 10, 11, 12, 13, 14):
        book(setup, hour)
    client = login(setup.front_desk)
    with django_assert_max_num_queries(16):  # incl. a chained audit event
        client.get(reverse("calendar_day"), {"date": setup.day.isoformat()})


def test_check_in_from_the_day_view(setup, login):
    appointment = book(setup)
    with time_machine.travel(appointment.start - timedelta(minutes=10)):
        client = login(setup.front_desk)
        client.post(reverse("appointment_action", args=[appointment.pk, "check_in"]))
    appointment.refresh_from_db()
    assert appointment.status == "checked_in" and appointment.checked_in_at


def test_the_desk_can_search_today_at_a_location_behind_the_clinics_zone(setup, login):
    import time_machine as travel

    # 00:30 on 8 December in Chicago (the clinic and the desk), 22:30 on the 7th in
    # Vancouver: the location's day is not over.
    setup.location.time_zone = "America/Vancouver"
    setup.location.save()
    search = {"patient": setup.patient.pk, "practitioner": setup.practitioner_record.pk,
              "location": setup.location.pk, "type": setup.type.pk}
    with travel.travel(datetime(2026, 12, 8, 0, 30, tzinfo=CHICAGO), tick=False):
        client = login(setup.front_desk)
        today = client.get(reverse("appointment_book"), {**search, "day": "2026-12-07"})
        assert "day" not in today.context["form"].errors
        yesterday = client.get(reverse("appointment_book"), {**search, "day": "2026-12-06"})
        assert yesterday.context["form"].errors["day"] == ["That date is in the past."]


@pytest.mark.parametrize("given, says", [
    ("abc", "is not a patient number"), ("7.5", "is not a patient number"),
    ("99999", "No patient 99999 in this clinic"), ("other-clinic", "in this clinic"),
])
def test_a_preset_patient_that_is_not_one_is_said_not_silently_dropped(world, login, given,
                                                                       says):
    """?patient= from a link: malformed or unknown answers 400 naming `patient` and saying
    what is wrong, not an empty patient and no message (issue #28 §2)."""
    if given == "other-clinic":
        given = str(world.outsider_patient.pk)
    response = login(world.front_desk).get(reverse("appointment_book"), {"patient": given})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Patient:" in html and says in html


def test_a_preset_patient_of_the_clinic_is_chosen(world, login):
    response = login(world.front_desk).get(reverse("appointment_book"),
                                           {"patient": world.patient.pk})
    assert response.status_code == 200
    assert response.context["chosen_patient"] == world.patient
