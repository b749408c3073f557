"""Progress report, discharge summary and referral letter: page and PDF, A4 and Letter."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone

from acuback import signing
from acuback.outcomes import services as outcomes
from acuback.treatment.models import Session
from tests.factories import make_episode, make_session, make_signed_screening, request_for


def pdf_text(response):
    from pypdf import PdfReader

    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(p.extract_text() for p in reader.pages), reader.pages[0].mediabox


@pytest.fixture
def reported(world):
    episode = make_episode(world.patient, world.practitioner, diagnosis_codes=["M54.50"],
                           status="discharged", discharge_reason="Goals met",
                           discharged_on=timezone.localdate())
    session = make_session(world.patient, world.practitioner_record, world.location,
                           episode=episode)
    with signing.signing():  # arranging data signed earlier
        Session.objects.filter(pk=session.pk).update(status="signed", signed_at=timezone.now(),
                                                     pain_before=6, pain_after=3)
    request = request_for(world.practitioner)
    for time_point, value in (("baseline", 40), ("discharge", 18)):
        outcomes.response_save(patient=world.patient, episode=episode, instrument_id="odi",
                               time_point=time_point, submit=True, completed_by="staff",
                               request=request,
                               answers=dict.fromkeys(range(1, 11), value // 10))
    world.episode = episode
    return world


@pytest.mark.parametrize("kind, title", [("progress", "Progress report"),
                                         ("discharge", "Discharge summary")])
@pytest.mark.parametrize("paper, width", [("a4", 595), ("letter", 612)])
def test_episode_reports_render_as_pdf_with_their_content(reported, login, kind, title, paper,
                                                           width):
    client = login(reported.practitioner)
    url = reverse("episode_report", args=[reported.patient.pk, reported.episode.pk, kind])
    text, box = pdf_text(client.get(url, {"format": "pdf", "paper": paper}))
    assert title in text and "M54.50" in text and "Oswestry Disability Index" in text
    assert "improving" in text and round(float(box.width)) == width
    if kind == "discharge":
        assert "Goals met" in text


def test_the_report_page_has_a_chart_and_its_table(reported, login):
    page = login(reported.practitioner).get(
        reverse("episode_report", args=[reported.patient.pk, reported.episode.pk, "progress"]))
    text = page.content.decode()
    assert "<svg" in text and "Discharge" in text


def test_an_unknown_report_kind_is_not_found(reported, login):
    url = reverse("episode_report", args=[reported.patient.pk, reported.episode.pk, "x"])
    assert login(reported.practitioner).get(url).status_code == 404


def test_the_referral_letter_renders_as_pdf(world, login):
    screening = make_signed_screening(world.patient, world.practitioner, saddle_numbness=True,
                                      referred_to="Emergency department",
                                      patient_told="Go now.")
    response = login(world.practitioner).get(
        reverse("referral_letter", args=[world.patient.pk, screening.pk]),
        {"format": "pdf", "paper": "letter"})
    text, box = pdf_text(response)
    assert "EMERGENCY referral" in text and "Cauda equina" in text
    assert round(float(box.width)) == 612
