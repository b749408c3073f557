"""Booking a patient with oneself and cancelling (or marking a no-show) opens nothing:
jporter booked an appointment with himself, cancelled it at once, and the patient's
record stayed open to him (issue #25, section 2). Through the pages, as he did it."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse

from acuback.scheduling.models import Appointment, WeeklyAvailability
from tests.factories import make_episode, make_practitioner, make_user
from tests.scheduling.test_booking import setup  # noqa: F401 - the fixture


@pytest.mark.parametrize("action", ["cancel", "no_show"])
def test_a_self_booked_appointment_undone_opens_no_record(setup, login, action):  # noqa: F811
    w = setup
    make_episode(w.patient, w.practitioner)  # Alice is alpha_prac's patient
    jporter = make_user(w.clinic, "practitioner", "jporter")
    record = make_practitioner(w.clinic, jporter)
    for weekday in range(7):
        WeeklyAvailability.objects.create(practitioner=record, location=w.location,
                                          weekday=weekday, start_time=time(9),
                                          end_time=time(17))
    client = login(jporter)
    clinical = reverse("patient_clinical", args=[w.patient.pk])
    assert "/break-glass/" in client.get(clinical)["Location"]
    query = {"patient": w.patient.pk, "practitioner": record.pk, "location": w.location.pk,
             "type": w.type.pk, "day": w.day.isoformat()}
    free = [s for s, _ in client.get(reverse("appointment_book"), query).context["free"]]
    assert client.post(reverse("appointment_book"),
                       {**query, "start": free[0].isoformat()}).status_code == 302
    appointment = Appointment.objects.get(practitioner=record)
    if action == "no_show":  # a no-show is marked once the time has passed
        Appointment.objects.filter(pk=appointment.pk).update(status="no_show")
    else:
        client.post(reverse("appointment_action", args=[appointment.pk, action]),
                    {"reason": "Booked by mistake"})
    appointment.refresh_from_db()
    assert appointment.status == {"cancel": "cancelled", "no_show": "no_show"}[action]
    response = client.get(clinical)
    assert response.status_code == 302 and "/break-glass/" in response["Location"]
    token_free = client.get(f"/api/patients/{w.patient.pk}/scores")
    assert token_free.status_code == 404  # as for an unknown id (test_api_refusals.py)
