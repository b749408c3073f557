"""Opening the clinical record of a patient one does not treat needs a reason, which is
logged and highlighted for the clinic admin."""

from __future__ import annotations

from django.urls import reverse

from acuback.audit.models import AuditEvent
from tests.factories import make_episode, make_practitioner, make_user


def test_a_practitioner_outside_the_care_team_breaks_the_glass(world, login):
    make_episode(world.patient, world.practitioner)  # Alice is treated by alpha_prac
    colleague = make_user(world.clinic, "practitioner", "colleague")
    make_practitioner(world.clinic, colleague)
    client = login(colleague)
    clinical = reverse("patient_clinical", args=[world.patient.pk])
    response = client.get(clinical)
    assert response.status_code == 302 and "/break-glass/" in response["Location"]
    page = client.get(response["Location"])
    assert "the reason is recorded" in page.content.decode()
    short = client.post(response["Location"], {"reason": "need it", "next": clinical})
    assert short.status_code == 400 and "at least 10 characters" in short.content.decode()
    assert not AuditEvent.objects.filter(break_glass=True).exists()
    done = client.post(response["Location"], {
        "reason": "Covering for alpha_prac: patient phoned about pain", "next": clinical})
    assert done.status_code == 302 and done["Location"] == clinical
    assert client.get(clinical).status_code == 200  # granted for the next hours
    event = AuditEvent.objects.get(action="break_glass")
    assert event.break_glass and event.actor == colleague and event.patient == world.patient
    assert event.detail["reason"].startswith("Covering")
    # The page read through the grant is flagged too (the clinic admin reviews both).
    assert AuditEvent.objects.filter(break_glass=True).exclude(action="break_glass").exists()
    home = login(world.admin).get(reverse("home")).content.decode()
    assert "outside the usual care team" in home and "Covering for alpha_prac" in home


def test_the_care_team_and_the_clinical_lead_are_not_asked(world, login):
    make_episode(world.patient, world.practitioner)
    clinical = reverse("patient_clinical", args=[world.patient.pk])
    assert login(world.practitioner).get(clinical).status_code == 200
    assert login(world.admin).get(clinical).status_code == 200
    assert not AuditEvent.objects.filter(break_glass=True).exists()


def test_a_new_patient_without_a_record_is_anyones_to_start(world, login):
    colleague = make_user(world.clinic, "practitioner", "colleague")
    make_practitioner(world.clinic, colleague)
    response = login(colleague).get(reverse("patient_clinical", args=[world.patient.pk]))
    assert response.status_code == 200


def test_the_chart_shows_the_safety_profile_only_inside_the_care_relationship(world, login):
    """The chart (a non-clinical page) showed the safety profile (screening outcome,
    blocked points) and the patient's correction requests to a practitioner with no
    care relationship, without breaking the glass (issue #25, section 2)."""
    from acuback.patients.models import CorrectionRequest

    make_episode(world.patient, world.practitioner)
    CorrectionRequest.objects.create(patient=world.patient, text="My migraine history is wrong.")
    colleague = make_user(world.clinic, "practitioner", "colleague")
    make_practitioner(world.clinic, colleague)
    chart = reverse("patient_chart", args=[world.patient.pk])
    client = login(colleague)
    page = client.get(chart).content.decode()
    assert 'aria-label="Safety profile"' not in page and "migraine" not in page
    assert reverse("patient_clinical", args=[world.patient.pk]) in page  # the way in
    for user in (world.practitioner, world.admin):
        page = login(user).get(chart).content.decode()
        assert 'aria-label="Safety profile"' in page and "migraine" in page
    client = login(colleague)
    client.post(reverse("break_glass", args=[world.patient.pk]),
                {"reason": "Covering for alpha_prac today"})
    page = client.get(chart).content.decode()
    assert 'aria-label="Safety profile"' in page and "migraine" in page
    assert AuditEvent.objects.filter(actor=colleague, action="patient.view",
                                     break_glass=True).exists()


def test_a_grant_starts_no_record_so_it_never_becomes_a_care_relationship(world, login):
    # Found by the attacker's re-test of issue #25 §2: under an 8-hour grant, dokafor
    # started a draft screening, and that screening made a lasting care relationship
    # (searches, FHIR and unflagged reads from then on).
    from acuback.patients.selectors import has_care_relationship
    from acuback.screening.models import Screening
    from acuback.treatment.models import Session

    episode = make_episode(world.patient, world.practitioner)
    colleague = make_user(world.clinic, "practitioner", "colleague")
    make_practitioner(world.clinic, colleague)
    client = login(colleague)
    clinical = reverse("patient_clinical", args=[world.patient.pk])
    client.post(reverse("break_glass", args=[world.patient.pk]),
                {"reason": "Covering for alpha_prac: patient phoned", "next": clinical})
    assert client.get(clinical).status_code == 200  # the grant reads
    starts = [
        (reverse("screening_new", args=[world.patient.pk, episode.pk]), {"kind": "intake"}),
        (reverse("session_new", args=[world.patient.pk, episode.pk]), {}),
        (reverse("episode_create", args=[world.patient.pk]), {"onset_date": "2026-11-01"}),
    ]
    for url, data in starts:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert b"breaking the glass" in response.content, url
    assert not Screening.objects.filter(created_by=colleague).exists()
    assert not Session.objects.exists()
    assert world.patient.episodes.count() == 1
    assert not has_care_relationship(user=colleague, patient=world.patient)
