"""A visit booked from the public page is a care relationship only once the patient
confirmed it from the record's own e-mail inbox (issue #25, second re-test, point 2).

Someone who knows a patient's address (a practitioner's accomplice) could otherwise book
that patient with that practitioner; once the visit is kept (checked in), the whole
record opened to them. Every door is tried with such a visit, kept and unconfirmed: the
web chart, the PDF report, FHIR (read, search, $everything) and the JSON API, through
the browser session and through the practitioner's own read token."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from acuback.accounts import zones
from acuback.patients.care import care_relationship
from acuback.patients.models import Patient
from acuback.patients.selectors import has_care_relationship
from acuback.scheduling.models import Appointment
from tests.factories import (
    clinic_today,
    make_appointment,
    make_practitioner,
    make_record,
    make_user,
)
from tests.security.care_doors import closed, doors, encounters_found
from tests.security.test_break_glass_api import _token


@pytest.fixture
def record(world):
    """Alice's record is alpha_prac's; dokafor has no link to her but a visit that was
    booked for her from the public page with him, kept today and never confirmed."""
    w = make_record(world)
    w.colleague = make_user(w.clinic, "practitioner", "dokafor")
    w.colleague.record = make_practitioner(w.clinic, w.colleague)
    w.kept = make_appointment(
        w, practitioner=w.colleague.record, status="checked_in", booked_via="public",
        start=datetime.combine(clinic_today(w.location), time(0, 30),
                               tzinfo=zones.zone_of(w.location)))
    return w


def test_a_kept_self_booked_visit_opens_no_door_until_the_patient_confirms(record, login):
    w = record
    client = login(w.colleague)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_token(w.colleague, w.clinic)}"}
    token_client = Client()  # the practitioner's own read token, no session
    for name, url in doors(w).items():
        assert closed(client.get(url)), name
        if name.startswith(("fhir", "api")):
            assert closed(token_client.get(url, **headers)), (name, "token")
    assert encounters_found(client, {}) == 0
    assert encounters_found(token_client, headers) == 0

    # Confirmed by the patient (from the e-mail the record's address received): care.
    Appointment.objects.filter(pk=w.kept.pk).update(patient_confirmed_at=timezone.now())
    for name, url in doors(w).items():
        response = (token_client.get(url, **headers) if name.startswith(("fhir", "api"))
                    else client.get(url))
        assert response.status_code == 200, name
    assert encounters_found(client, {}) == 1


@pytest.mark.parametrize(("booked_via", "confirmed", "care"), [
    ("public", False, False), ("public", True, True),
    ("portal", False, True),  # the patient, logged in from their own inbox
    ("desk", False, True),  # the front desk books as it always did
])
def test_the_one_patient_rule_and_the_filter_agree_on_who_booked(record, booked_via,
                                                                 confirmed, care):
    w = record
    Appointment.objects.filter(pk=w.kept.pk).update(
        booked_via=booked_via, patient_confirmed_at=timezone.now() if confirmed else None)
    one = has_care_relationship(user=w.colleague, patient=w.patient)
    many = Patient.objects.filter(care_relationship(w.colleague, "pk"),
                                  pk=w.patient.pk).exists()
    assert one == many == care


def test_a_desk_booking_is_care_as_before(record, login):
    make_appointment(record, practitioner=record.colleague.record,
                     start=timezone.now() + timedelta(days=5))
    response = login(record.colleague).get(reverse("patient_clinical",
                                                   args=[record.patient.pk]))
    assert response.status_code == 200
