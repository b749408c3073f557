"""Reminders: planned, sent at the right time with an .ics, retried, failures kept."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from acuback.scheduling import notifications
from acuback.scheduling.models import Notification
from tests.factories import make_appointment

CHICAGO = ZoneInfo("America/Chicago")
BOOKED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=CHICAGO)
START = datetime(2026, 12, 3, 10, 0, tzinfo=CHICAGO)


@pytest.fixture
def appointment(world):
    world.patient.email, world.patient.phone = "alice@example.com", "+1 312 555 0101"
    world.patient.save()
    with time_machine.travel(BOOKED_AT, tick=False):
        return make_appointment(world, start=START)


def test_the_reminder_goes_out_24_hours_before_with_an_ics(appointment):
    with time_machine.travel(BOOKED_AT, tick=False):
        assert notifications.tick()["planned"] == 2  # e-mail and SMS
        assert mail.outbox == []
    with time_machine.travel(START - timedelta(hours=24, minutes=1), tick=False):
        assert notifications.tick()["sent"] == 0
    with time_machine.travel(START - timedelta(hours=24), tick=False):
        assert notifications.tick() == {"planned": 0, "sent": 2, "failed": 0}
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    # The location's clock, and its zone named: the server (UTC+14) and UTC say otherwise.
    assert "Thursday 3 December at 10:00 CST" in message.body
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("appointment.ics", "text/calendar")
    assert "DTSTART;TZID=America/Chicago:20261203T100000" in content
    assert "BEGIN:VTIMEZONE" in content and "TZID:America/Chicago" in content
    sms = Notification.objects.get(channel="sms")
    assert "Thursday 3 December at 10:00 CST" in sms.body


def test_planning_twice_plans_once(appointment):
    with time_machine.travel(BOOKED_AT, tick=False):
        notifications.tick()
        notifications.tick()
    assert Notification.objects.count() == 2


def test_an_invalid_address_is_recorded_as_failed_not_lost(world, appointment, login):
    world.patient.email = "alice@"
    world.patient.phone = ""
    world.patient.save()
    with time_machine.travel(START - timedelta(hours=2), tick=False):
        assert notifications.tick()["failed"] == 1
    failed = Notification.objects.get()
    assert failed.status == "failed" and "Invalid e-mail address" in failed.last_error
    page = login(world.admin).get(reverse("home")).content.decode()
    assert "Messages that could not be sent (1)" in page


def test_a_transient_failure_is_retried_with_back_off(appointment, monkeypatch):
    calls = {"n": 0}

    def flaky(self, fail_silently=False):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError("mail server down")
        return 1

    monkeypatch.setattr("django.core.mail.EmailMessage.send", flaky)
    moment = START - timedelta(hours=3)
    with time_machine.travel(moment, tick=False):
        notifications.tick()
    email = Notification.objects.get(channel="email")
    assert email.status == "pending" and email.attempts == 1
    assert "mail server down" in email.last_error
    with time_machine.travel(moment + timedelta(minutes=5), tick=False):
        notifications.tick()
    email.refresh_from_db()
    assert email.status == "sent" and email.attempts == 2


def test_after_five_failures_the_message_is_failed(appointment, monkeypatch):
    def down(self, fail_silently=False):
        raise OSError("no route to host")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", down)
    moment = START - timedelta(hours=20)
    for minutes in (0, 5, 15, 35, 75):
        with time_machine.travel(moment + timedelta(minutes=minutes), tick=False):
            notifications.tick()
    email = Notification.objects.get(channel="email")
    assert (email.status, email.attempts) == ("failed", 5)


def test_a_cancelled_appointment_gets_no_reminder(appointment):
    with time_machine.travel(BOOKED_AT, tick=False):
        notifications.tick()
    appointment.status = "cancelled"
    appointment.save()
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        assert notifications.tick()["sent"] == 0
    assert set(Notification.objects.values_list("status", flat=True)) == {"cancelled"}


def test_the_worker_task_runs_the_tick(appointment, settings):
    from acuback.scheduling.tasks import reminders_tick

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        result = reminders_tick.enqueue()
    assert result.return_value == {"planned": 2, "sent": 2, "failed": 0, "charts_pruned": 0}


def test_the_worker_command_runs_once(appointment):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        call_command("worker", "--once", stdout=out)
    assert "'sent': 2" in out.getvalue()


def test_reminders_keep_local_time_across_daylight_saving(world):
    # Booked before the US change on 1 November, for 9:00 after it.
    world.patient.email = "alice@example.com"
    world.patient.save()
    start = datetime(2026, 11, 3, 9, 0, tzinfo=CHICAGO)
    with time_machine.travel(datetime(2026, 10, 30, 12, 0, tzinfo=CHICAGO), tick=False):
        make_appointment(world, start=start)
    with time_machine.travel(start - timedelta(hours=24), tick=False):
        notifications.tick()
    assert "at 09:00" in mail.outbox[0].body
    assert start.astimezone(ZoneInfo("UTC")).time() == time(15, 0)


def test_the_worker_invites_patients_to_due_questionnaires_once_a_week(world):
    from acuback.outcomes.models import CollectionLink
    from tests.factories import make_episode

    world.patient.email = "alice@example.com"
    world.patient.save()
    make_episode(world.patient, world.practitioner)
    moment = datetime(2026, 12, 1, 9, 0, tzinfo=CHICAGO)
    with time_machine.travel(moment, tick=False):
        result = notifications.tick()
    assert result["planned"] == 1 and result["sent"] == 1
    [message] = mail.outbox
    assert "few questions" in message.subject and "/q/" in message.body
    link = CollectionLink.objects.get()
    assert "schober" not in link.instruments and link.time_point == "baseline"
    with time_machine.travel(moment + timedelta(days=2), tick=False):
        assert notifications.tick()["planned"] == 0
    with time_machine.travel(moment + timedelta(days=8), tick=False):
        assert notifications.tick()["planned"] == 1
