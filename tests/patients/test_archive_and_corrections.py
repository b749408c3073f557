"""Archiving hides a patient but keeps everything; patients ask for corrections and get an
answer."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from acuback import signing
from acuback.audit.models import AuditEvent
from acuback.patients.models import CorrectionRequest, Patient
from acuback.treatment.models import Session
from tests.factories import make_session


def test_an_admin_archives_a_patient_who_disappears_from_lists_but_is_kept(world, login):
    client = login(world.admin)
    response = client.post(reverse("patient_archive", args=[world.patient.pk]),
                           {"reason": "Moved away"})
    assert response.status_code == 302
    world.patient.refresh_from_db()
    assert world.patient.archived_at and world.patient.archive_reason == "Moved away"
    listed = client.get(reverse("patient_list")).context["page"].object_list
    assert world.patient not in listed and world.other_patient in listed
    archived = client.get(reverse("patient_list"), {"archived": "1"}).context["page"]
    assert list(archived.object_list) == [world.patient]
    chart = client.get(reverse("patient_chart", args=[world.patient.pk])).content.decode()
    assert "Archived" in chart and "never deletes it" in chart
    assert Patient.objects.filter(pk=world.patient.pk).exists()
    assert AuditEvent.objects.filter(action="patient.archive", patient=world.patient).exists()
    client.post(reverse("patient_archive", args=[world.patient.pk]), {"restore": "1"})
    world.patient.refresh_from_db()
    assert world.patient.archived_at is None


def test_archiving_needs_a_reason_and_the_admin_role(world, login):
    login(world.admin).post(reverse("patient_archive", args=[world.patient.pk]), {"reason": ""})
    world.patient.refresh_from_db()
    assert world.patient.archived_at is None
    response = login(world.practitioner).post(
        reverse("patient_archive", args=[world.patient.pk]), {"reason": "x"})
    assert response.status_code == 403


def test_the_record_is_kept_the_clinics_years_after_the_last_visit(world):
    from acuback.patients.selectors import retain_until

    world.clinic.record_retention_years = 7
    world.clinic.save()
    session = make_session(world.patient, world.practitioner_record, world.location)
    with signing.signing():  # arranging data signed earlier
        Session.objects.filter(pk=session.pk).update(status="signed",
                                                     session_date="2026-03-01")
    world.patient.archived_at = timezone.now().replace(year=2025)
    assert str(retain_until(patient=world.patient)) >= "2033-03-01"


def test_a_patient_asks_for_a_correction_and_sees_the_answer(world, login):
    from tests.factories import make_episode

    make_episode(world.patient, world.practitioner)  # the practitioner treats her
    client = login(world.patient_user)
    response = client.post(reverse("portal_corrections"), {"text": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    client.post(reverse("portal_corrections"), {"text": "My date of birth is 1980-05-18."})
    request = CorrectionRequest.objects.get(patient=world.patient)
    assert request.status == "open" and request.respond_by == (
        request.created_at + timezone.timedelta(days=60)).date()
    staff = login(world.practitioner)
    chart = staff.get(reverse("patient_chart", args=[world.patient.pk])).content.decode()
    assert "My date of birth is 1980-05-18." in chart and "answer by" in chart
    url = reverse("correction_respond", args=[world.patient.pk, request.pk])
    staff.post(url, {"status": "declined", "response": ""})  # a refusal needs its reason
    assert CorrectionRequest.objects.get(pk=request.pk).status == "open"
    staff.post(url, {"status": "accepted", "response": "Corrected on your record."})
    request.refresh_from_db()
    assert request.status == "accepted" and request.responded_by == world.practitioner
    staff.post(url, {"status": "declined", "response": "changed my mind"})
    assert CorrectionRequest.objects.get(pk=request.pk).status == "accepted"  # answered once
    page = login(world.patient_user).get(reverse("portal_corrections")).content.decode()
    assert "Corrected on your record." in page
    assert AuditEvent.objects.filter(action__in=["correction.request", "correction.respond"],
                                     patient=world.patient).count() == 2


def test_front_desk_cannot_answer_a_correction(world, login):
    request = CorrectionRequest.objects.create(patient=world.patient, text="Wrong allergy")
    response = login(world.front_desk).post(
        reverse("correction_respond", args=[world.patient.pk, request.pk]),
        {"status": "accepted", "response": "ok"})
    assert response.status_code == 403


def test_an_archived_patient_cannot_be_booked(world):
    import pytest

    from acuback.scheduling import services
    from acuback.scheduling.models import Appointment
    from tests.factories import make_appointment, request_for

    template = make_appointment(world)
    Appointment.objects.filter(pk=template.pk).update(status="cancelled")
    world.patient.archived_at = timezone.now()
    world.patient.save()
    with pytest.raises(services.BookingRefused, match="archived"):
        services.appointment_book(patient=world.patient, practitioner=world.practitioner_record,
                                  location=world.location, type=template.type,
                                  start=template.start, request=request_for(world.front_desk))
