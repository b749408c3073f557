"""Issue #28: e-mail and SMS are plain text. A clinic called "Riverside Acupuncture & Back
Care" must read so in every subject and body, never "&amp;" (HTML escaping belongs to
pages, not to text messages)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from acuback.accounts import services as account_services
from acuback.outcomes import services as outcome_services
from acuback.scheduling import notifications
from acuback.scheduling.models import Notification
from tests.factories import make_appointment, make_episode, request_for

NAME = 'Riverside Acupuncture & Back Care <"Main">'
ESCAPES = ("&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;")
CHICAGO = ZoneInfo("America/Chicago")
BOOKED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=CHICAGO)


@pytest.fixture
def clinic_with_marks(world):
    world.clinic.name = NAME
    world.clinic.save()
    world.patient.email, world.patient.phone = "alice@example.com", "+1 312 555 0101"
    world.patient.given_name = "Al & Ice"
    world.patient.save()
    world.practitioner.email = "clinician@example.com"
    world.practitioner.save()
    return world


def _every_message(world) -> list[tuple[str, str]]:
    """(subject, body) of each kind of e-mail and text message the system sends."""
    with time_machine.travel(BOOKED_AT, tick=False):
        make_appointment(world, start=BOOKED_AT + timedelta(hours=2))
        make_episode(world.patient, world.practitioner)  # baseline questionnaires due
        notifications.tick()  # the reminder (e-mail and SMS) and the invitation
        notifications.plan_safety_alert(clinic=world.clinic, patient=world.patient,
                                        recipients=[world.practitioner], subject=f"{NAME}: alert",
                                        text=f"{NAME}: a patient needs you", link="/")
        notifications.tick()
    episode = world.patient.episodes.first()
    request = request_for(world.practitioner)
    link = outcome_services.link_create(episode=episode, instrument_ids=["nrs"],
                                        time_point="baseline", request=request,
                                        delivery="email")
    outcome_services.link_email(link=link, request=request)
    account_services.staff_invite(clinic=world.clinic, email="new@example.com",
                                  username="newcomer", first_name="New", last_name="Comer",
                                  roles=["front_desk"], request=request_for(world.admin))
    stored = [(n.subject, n.body) for n in Notification.objects.all()]
    return stored + [(m.subject, m.body) for m in mail.outbox]


def test_no_message_is_html_escaped(clinic_with_marks):
    messages = _every_message(clinic_with_marks)
    kinds = set(Notification.objects.values_list("kind", "channel"))
    assert len(kinds) >= 4, kinds  # reminder by e-mail and SMS, invitation, safety alert
    assert len(mail.outbox) >= 4
    for subject, body in messages:
        assert not any(e in subject or e in body for e in ESCAPES), (subject, body)
    assert any(NAME in subject for subject, _ in messages)
    assert any("Al & Ice" in body for _, body in messages)
