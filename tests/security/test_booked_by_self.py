"""An appointment a practitioner books with themselves is not by itself a care
relationship (issue #25, third re-test, point 1): `jporter` booked patient 5 with
himself and at once read the clinical record, FHIR `$everything` and the JSON API with
no break-the-glass flag, then cancelled. It counts once someone else stands behind it:
booked by someone else (front desk, admin, a colleague, the patient in the portal),
confirmed by the patient, or checked in by someone else. The clinic admin (a solo
practitioner is one) oversees every record and is not asked."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from acuback.accounts import zones
from acuback.accounts.models import Membership
from acuback.patients.care import care_relationship
from acuback.patients.models import Patient
from acuback.patients.selectors import has_care_relationship
from acuback.scheduling import services as scheduling
from acuback.scheduling.models import Appointment, WeeklyAvailability
from tests.factories import (
    clinic_today,
    make_appointment,
    make_practitioner,
    make_record,
    make_user,
    request_for,
)
from tests.security.care_doors import closed, doors, encounters_found
from tests.security.test_break_glass_api import _token


@pytest.fixture
def record(world):
    """Alice's record is alpha_prac's; jporter has no link to her but a visit he booked
    with himself for today."""
    w = make_record(world)
    w.colleague = make_user(w.clinic, "practitioner", "jporter")
    w.colleague.record = make_practitioner(w.clinic, w.colleague)
    w.own = make_appointment(
        w, practitioner=w.colleague.record, booked_by=w.colleague,
        start=datetime.combine(clinic_today(w.location), time(23, 0),
                               tzinfo=zones.zone_of(w.location)))
    return w


def _all_doors(w, login):
    client = login(w.colleague)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_token(w.colleague, w.clinic)}"}
    token_client = Client()
    results = {}
    for name, url in doors(w).items():
        results[name] = client.get(url)
        if name.startswith(("fhir", "api")):
            results[name + " (token)"] = token_client.get(url, **headers)
    results["search"] = encounters_found(client, {})
    results["search (token)"] = encounters_found(token_client, headers)
    return results


def test_a_self_booked_visit_opens_no_door(record, login):
    results = _all_doors(record, login)
    for name, response in results.items():
        if name.startswith("search"):
            assert response == 0, name
        else:
            assert closed(response), name


def test_booking_himself_through_the_calendar_page_opens_nothing(record, login):
    """The attack as tried: POST /calendar/book/ with himself; the booker is recorded."""
    w = record
    type_ = w.own.type
    for weekday in range(7):
        WeeklyAvailability.objects.create(practitioner=w.colleague.record,
                                          location=w.location, weekday=weekday,
                                          start_time=time(9), end_time=time(17))
    day = clinic_today(w.location) + timedelta(days=2)
    # 14:00: Alice's own visit that day is at 10:00, and a patient is never booked twice at once.
    start = datetime.combine(day, time(14), tzinfo=zones.zone_of(w.location))
    client = login(w.colleague)
    response = client.post(reverse("appointment_book"), {
        "patient": w.patient.pk, "practitioner": w.colleague.record.pk,
        "location": w.location.pk, "type": type_.pk, "day": day.isoformat(),
        "start": start.isoformat()})
    assert response.status_code == 302, response.content.decode()[:500]
    booked = Appointment.objects.get(practitioner=w.colleague.record, start=start)
    assert booked.booked_by == w.colleague
    assert closed(client.get(reverse("patient_clinical", args=[w.patient.pk])))


@pytest.mark.parametrize("who", ["front_desk", "admin", "practitioner"])
def test_a_visit_booked_by_someone_else_is_care_as_before(record, login, who):
    w = record
    Appointment.objects.filter(pk=w.own.pk).update(booked_by=getattr(w, who))
    results = _all_doors(w, login)
    for name, response in results.items():
        if name.startswith("search"):
            assert response == 1, name
        else:
            assert response.status_code == 200, name


def test_confirmed_by_the_patient_or_checked_in_by_someone_else_is_care(record):
    w = record
    assert not has_care_relationship(user=w.colleague, patient=w.patient)
    # Checked in by himself: still nobody else behind it.
    scheduling.appointment_transition(appointment=w.own, action="check_in",
                                      request=request_for(w.colleague))
    assert not has_care_relationship(user=w.colleague, patient=w.patient)
    scheduling.appointment_transition(appointment=w.own, action="undo",
                                      request=request_for(w.colleague))
    # Checked in by the front desk: the patient came, someone else saw them.
    scheduling.appointment_transition(appointment=w.own, action="check_in",
                                      request=request_for(w.front_desk))
    assert has_care_relationship(user=w.colleague, patient=w.patient)
    # Undone: no longer.
    scheduling.appointment_transition(appointment=w.own, action="undo",
                                      request=request_for(w.front_desk))
    assert not has_care_relationship(user=w.colleague, patient=w.patient)
    Appointment.objects.filter(pk=w.own.pk).update(patient_confirmed_at=timezone.now())
    assert has_care_relationship(user=w.colleague, patient=w.patient)


@pytest.mark.parametrize(("booked_by", "confirmed", "checked_in_by", "care"), [
    ("self", False, None, False),
    ("self", True, None, True),
    ("self", False, "self", False),
    ("self", False, "front_desk", True),
    ("front_desk", False, None, True),
    ("nobody", False, None, True),  # written by the system (an import, the demo)
    ("patient_user", False, None, True),  # the patient, in the portal
])
def test_the_one_patient_rule_and_the_filter_agree_on_who_stands_behind_it(
        record, booked_by, confirmed, checked_in_by, care):
    w = record
    people = {"self": w.colleague, "nobody": None, None: None,
              "front_desk": w.front_desk, "patient_user": w.patient_user}
    Appointment.objects.filter(pk=w.own.pk).update(
        booked_by=people[booked_by], checked_in_by=people[checked_in_by],
        patient_confirmed_at=timezone.now() if confirmed else None)
    one = has_care_relationship(user=w.colleague, patient=w.patient)
    many = Patient.objects.filter(care_relationship(w.colleague, "pk"),
                                  pk=w.patient.pk).exists()
    assert one == many == care


def test_a_solo_practitioner_who_is_the_clinic_admin_keeps_every_record(record, login):
    w = record
    Membership.objects.create(user=w.colleague, clinic=w.clinic, role="clinic_admin")
    for name, url in doors(w).items():
        assert login(w.colleague).get(url).status_code == 200, name


def test_a_self_booked_visit_made_later_in_the_future_is_no_care_either(record):
    w = record
    make_appointment(w, practitioner=w.colleague.record, booked_by=w.colleague,
                     start=timezone.now() + timedelta(days=3))
    assert not has_care_relationship(user=w.colleague, patient=w.patient)
