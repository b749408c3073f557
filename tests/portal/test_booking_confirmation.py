"""Online booking ends on a confirmation (issue #28 §7): the date on the location's clock,
the address, what to bring and an add-to-calendar file; someone new is offered first
visits only, a patient of the clinic the others."""

from __future__ import annotations

import re
from datetime import datetime, time

import icalendar
from django.core import mail
from django.urls import reverse

from acuback.audit.models import AuditEvent
from acuback.scheduling.models import Appointment
from tests.portal.test_portal import (  # noqa: F401
    CHICAGO,
    bookable,
    confirm_from_outbox,
    new_patient_data,
)

# ruff: noqa: F811 (the `bookable` fixture, imported above, is each test's argument)


def _types_offered(response) -> set[str]:
    return {t.name for t in response.context["form"].fields["type"].queryset}


def test_someone_new_is_offered_first_visits_and_a_patient_the_others(bookable, client,
                                                                      login):
    public = client.get(reverse("public_book", args=[bookable.clinic.slug]))
    assert _types_offered(public) == {"Initial assessment"}
    portal = login(bookable.patient_user).get(reverse("portal_book"))
    assert _types_offered(portal) == {"Follow-up"}


def test_a_follow_up_asked_for_on_the_public_page_is_refused_on_its_field(bookable, client):
    response = client.post(reverse("public_book", args=[bookable.clinic.slug]),
                           new_patient_data(bookable, type=bookable.type.pk))
    assert "Select a valid choice" in response.context["form"].errors["type"][0]
    assert not mail.outbox and not Appointment.objects.exists()


def _calendar(data: bytes, appointment: Appointment) -> icalendar.Event:
    """The file parsed by icalendar: one event at the visit's time on the location's
    clock, with that zone's TZID and a VTIMEZONE for it."""
    calendar = icalendar.Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == appointment.start and start.utcoffset() == appointment.start.astimezone(
        CHICAGO).utcoffset()
    assert event["dtstart"].params["TZID"] == appointment.location.time_zone
    assert [str(z["tzid"]) for z in calendar.walk("VTIMEZONE")] == [
        appointment.location.time_zone]
    assert event.decoded("dtend") == appointment.end
    assert appointment.location.address_line1 in str(event["location"])
    return event


def test_a_portal_booking_ends_on_its_confirmation_with_a_calendar_file(bookable, login):
    client = login(bookable.patient_user)
    start = datetime.combine(bookable.day, time(10), tzinfo=CHICAGO)
    booked = client.post(reverse("portal_book"), {
        "location": bookable.location.pk, "type": bookable.type.pk,
        "day": bookable.day.isoformat(), "practitioner": bookable.practitioner_record.pk,
        "start": start.isoformat()})
    appointment = Appointment.objects.get()
    assert booked["Location"] == reverse("portal_appointment", args=[appointment.pk])
    page = client.get(booked["Location"]).content.decode()
    assert "10:00 C" in page and bookable.location.address_line1 in page
    assert "What to bring" in page and "photo ID" in page
    ics_url = re.search(r'href="([^"]+\.ics)"', page).group(1)
    _calendar(client.get(ics_url).content, appointment)
    assert AuditEvent.objects.filter(action="portal.appointment_calendar",
                                     patient=appointment.patient).exists()
    other = login(bookable.other_patient_user)
    assert other.get(ics_url).status_code == 404


def test_a_public_booking_confirms_with_the_address_what_to_bring_and_a_calendar(bookable,
                                                                                 client):
    client.post(reverse("public_book", args=[bookable.clinic.slug]),
                new_patient_data(bookable))
    page = confirm_from_outbox(client).content.decode()
    appointment = Appointment.objects.get()
    assert "You are booked" in page and bookable.location.address_line1 in page
    assert "What to bring" in page and "10:00 C" in page
    ics_url = re.search(r'href="([^"]+\.ics)"', page).group(1)
    response = client.get(ics_url)
    assert response["Content-Type"].startswith("text/calendar")
    _calendar(response.content, appointment)
    assert client.get(ics_url.replace("/calendar/", "/calendar/x")).status_code == 400


def test_each_step_of_a_public_booking_restates_the_time_and_the_place(bookable, client):
    url = reverse("public_book", args=[bookable.clinic.slug])
    data = new_patient_data(bookable)
    details_step = client.get(url, {k: data[k] for k in ("location", "type", "day",
                                                          "practitioner", "start")})
    requested = client.post(url, data)
    for step in (details_step, requested):
        text = step.content.decode()
        assert "10:00 C" in text and bookable.location.address_line1 in text, step


def test_an_address_with_a_record_books_that_record_at_the_time_chosen(bookable, client):
    bookable.patient.email = "alice@example.com"
    bookable.patient.save()
    client.post(reverse("public_book", args=[bookable.clinic.slug]),
                new_patient_data(bookable, email="alice@example.com"))
    confirm_from_outbox(client)
    appointment = Appointment.objects.get()
    assert appointment.patient == bookable.patient
    assert appointment.start == datetime.combine(bookable.day, time(10), tzinfo=CHICAGO)
