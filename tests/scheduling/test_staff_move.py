"""Issue #28 §2: the front desk moves a booked visit by a form, with the same availability
and licence checks as booking, recorded as moved and audited."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse

from acuback.accounts import zones
from acuback.audit.models import AuditEvent
from acuback.scheduling import services
from acuback.scheduling.models import Appointment, AppointmentType, WeeklyAvailability
from tests.factories import make_practitioner, request_for


@pytest.fixture
def booked(world):
    world.type = AppointmentType.objects.create(clinic=world.clinic, name="Follow-up",
                                                kind="follow_up", duration_minutes=45,
                                                buffer_minutes=15)
    world.lapsed = make_practitioner(world.clinic, expires_in_days=-3)
    for who in (world.practitioner_record, world.lapsed):
        for weekday in range(7):
            WeeklyAvailability.objects.create(practitioner=who, location=world.location,
                                              weekday=weekday, start_time=time(9),
                                              end_time=time(17))
    world.tz = zones.zone_of(world.location)
    world.day = zones.today_at(world.location) + timedelta(days=2)
    world.appointment = services.appointment_book(
        patient=world.patient, practitioner=world.practitioner_record,
        location=world.location, type=world.type,
        start=datetime.combine(world.day, time(10), tzinfo=world.tz),
        request=request_for(world.front_desk))
    return world


def at(world, hour, minute=0):
    return datetime.combine(world.day, time(hour, minute), tzinfo=world.tz)


def test_the_day_view_offers_move_and_the_form_moves_the_visit(booked, login):
    client = login(booked.front_desk)
    day = client.get(reverse("calendar_day"), {"date": booked.day.isoformat()})
    move_url = reverse("appointment_move", args=[booked.appointment.pk])
    assert f'href="{move_url}"' in day.content.decode()
    page = client.get(move_url, {"day": booked.day.isoformat()})
    assert "10:00" in page.content.decode()  # the current time, on the location's clock
    offered = {s.practitioner.pk for s in page.context["soonest"]}
    assert offered == {booked.practitioner_record.pk}  # the lapsed licence is not offered
    target = f"{booked.practitioner_record.pk} {at(booked, 10, 30).isoformat()}"
    assert client.post(move_url, {"slot": target}).status_code == 302
    old = Appointment.objects.get(pk=booked.appointment.pk)
    new = Appointment.objects.exclude(pk=old.pk).get()
    assert old.status == "moved" and old.cancel_reason.startswith("Moved to")
    assert old.moved_to == new
    assert new.status == "booked" and new.start == at(booked, 10, 30)
    event = AuditEvent.objects.get(action="appointment.move")
    assert event.patient_id == booked.patient.pk and event.detail["from"] == old.pk


@pytest.mark.parametrize("who, hour, message", [
    ("lapsed", 11, "not cleared to needle"),
    ("practitioner_record", 18, "outside the practitioner"),
])
def test_a_move_is_refused_as_a_booking_would_be_and_changes_nothing(booked, login, who,
                                                                      hour, message):
    client = login(booked.front_desk)
    move_url = reverse("appointment_move", args=[booked.appointment.pk])
    response = client.post(move_url, {"slot": f"{getattr(booked, who).pk} "
                                              f"{at(booked, hour).isoformat()}"})
    assert response.status_code == 400 and message in response.content.decode()
    assert list(Appointment.objects.values_list("pk", "status")) == [
        (booked.appointment.pk, "booked")]
    assert not AuditEvent.objects.filter(action="appointment.move").exists()


def test_a_patient_cannot_move_through_the_staff_form(booked, login):
    client = login(booked.patient_user)
    move_url = reverse("appointment_move", args=[booked.appointment.pk])
    assert client.get(move_url).status_code in (403, 404)


def test_a_patient_is_never_booked_twice_at_once_by_booking_or_moving(booked, login):
    """The patient's own conflicts: another practitioner's free time is refused when the
    patient already has a visit then (booking, and a move onto it)."""
    colleague = make_practitioner(booked.clinic)
    for weekday in range(7):
        WeeklyAvailability.objects.create(practitioner=colleague, location=booked.location,
                                          weekday=weekday, start_time=time(9),
                                          end_time=time(17))
    with pytest.raises(services.BookingRefused, match="already has a visit then"):
        services.appointment_book(patient=booked.patient, practitioner=colleague,
                                  location=booked.location, type=booked.type,
                                  start=at(booked, 10, 30), request=request_for(booked.front_desk))
    other = services.appointment_book(patient=booked.patient, practitioner=colleague,
                                      location=booked.location, type=booked.type,
                                      start=at(booked, 13), request=request_for(booked.front_desk))
    client = login(booked.front_desk)
    response = client.post(reverse("appointment_move", args=[booked.appointment.pk]),
                           {"slot": f"{booked.practitioner_record.pk} "
                                    f"{at(booked, 12, 30).isoformat()}"})
    assert response.status_code == 400
    assert "already has a visit then" in response.content.decode()
    assert Appointment.objects.get(pk=booked.appointment.pk).status == "booked"
    assert Appointment.objects.get(pk=other.pk).status == "booked"
    # Touching is not overlapping: the visit before the other one ends at 13:00.
    assert client.post(reverse("appointment_move", args=[booked.appointment.pk]),
                       {"slot": f"{booked.practitioner_record.pk} "
                                f"{at(booked, 12, 15).isoformat()}"}).status_code == 302


def test_a_move_answers_a_script_in_json_and_stays_at_its_location(booked, login):
    """Drag and drop (calendar-grid.js) posts the same form asking for JSON: the result or
    the reason, and a drop on another location's grid is refused, not booked here."""
    from tests.factories import make_location

    client = login(booked.front_desk)
    move_url = reverse("appointment_move", args=[booked.appointment.pk])
    annex = make_location(booked.clinic)
    away = client.post(move_url, {"slot": f"{booked.practitioner_record.pk} "
                                          f"{at(booked, 11).isoformat()}",
                                  "location": annex.pk}, HTTP_ACCEPT="application/json")
    assert away.status_code == 400 and away["Content-Type"] == "application/json"
    assert "stays at" in away.json()["message"]
    late = client.post(move_url, {"slot": f"{booked.practitioner_record.pk} "
                                          f"{at(booked, 18).isoformat()}",
                                  "location": booked.location.pk},
                       HTTP_ACCEPT="application/json")
    assert late.status_code == 400 and "outside the practitioner" in late.json()["message"]
    assert Appointment.objects.get().status == "booked"
    done = client.post(move_url, {"slot": f"{booked.practitioner_record.pk} "
                                          f"{at(booked, 11).isoformat()}",
                                  "location": booked.location.pk},
                       HTTP_ACCEPT="application/json")
    assert done.status_code == 200 and done.json()["moved"] is True
    assert "Moved Alice Archer to" in done.json()["message"]
    assert Appointment.objects.get(status="booked").start == at(booked, 11)
