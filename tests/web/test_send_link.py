"""The front desk's arrivals list sends the link a visit still needs (issue #28 §3): to
the e-mail address on the record, through the outbox, audited, rate-limited, and the
desk is told what happened."""

from __future__ import annotations

import re
from datetime import datetime, time

import pytest
from django.urls import reverse

from acuback.accounts import zones
from acuback.audit.models import AuditEvent
from acuback.scheduling.models import Notification
from tests.factories import clinic_today, make_appointment, make_episode


@pytest.fixture
def arriving(world):
    world.patient.email = "alice@example.com"
    world.patient.save()
    make_episode(world.patient, world.practitioner)
    # Early in the clinic's day: today's whatever the hour the suite runs at.
    start = datetime.combine(clinic_today(world.location), time(0, 5),
                             tzinfo=zones.zone_of(world.location))
    world.appointment = make_appointment(world, start=start)
    return world


def _send_buttons(page: str) -> dict[str, str]:
    """need -> the URL its "Send the link" button posts to."""
    return dict(re.findall(r'<span class="status warn">([^<]+)</span>[^<]*'
                           r'<form method="post" action="([^"]+)"', page))


def test_the_desk_sends_the_questionnaire_and_intake_links_from_the_arrivals(arriving, login):
    client = login(arriving.front_desk)
    home = client.get(reverse("home")).content.decode()
    buttons = _send_buttons(home)
    assert set(buttons) == {"Intake screening", "Baseline questionnaires"}, home

    done = client.post(buttons["Baseline questionnaires"], follow=True).content.decode()
    assert "The questionnaire link for Alice Archer is on its way to a…@example.com" in done
    sent = Notification.objects.get()
    assert sent.to == "alice@example.com" and "/q/" in sent.body and sent.status == "pending"

    done = client.post(buttons["Intake screening"], follow=True).content.decode()
    assert "The intake link for Alice Archer is on its way" in done
    intake = Notification.objects.latest("pk")
    assert "/portal/login/" in intake.body and "health questions" in intake.body
    assert AuditEvent.objects.filter(action="frontdesk.send_link",
                                     patient=arriving.patient).count() == 2


def test_a_record_without_an_e_mail_address_is_told_and_nothing_is_queued(arriving, login):
    arriving.patient.email = ""
    arriving.patient.save()
    client = login(arriving.front_desk)
    url = reverse("visit_send_link", args=[arriving.appointment.pk, "questionnaires"])
    page = client.post(url, follow=True).content.decode()
    assert "Not sent: There is no e-mail address on Alice Archer" in page
    assert not Notification.objects.exists()


def test_sending_is_limited_per_patient(arriving, login, settings):
    settings.ACUBACK_RATE_LIMITS = {**settings.ACUBACK_RATE_LIMITS,
                                    "desk_link_per_patient": "2/h"}
    client = login(arriving.front_desk)
    url = reverse("visit_send_link", args=[arriving.appointment.pk, "intake"])
    assert [client.post(url).status_code for _ in range(3)] == [302, 302, 429]
    assert Notification.objects.count() == 2


def test_an_unknown_kind_is_refused_in_words(arriving, login):
    client = login(arriving.front_desk)
    url = reverse("visit_send_link", args=[arriving.appointment.pk, "x"])
    assert "Not sent: Choose the intake or the questionnaires." in client.post(
        url, follow=True).content.decode()
