"""The developer's mailbox: `make run`'s e-mail and SMS go to files and a page, not the
console; `acuback welcome` prints the address, the mailbox and the logins last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from acuback.audit.models import AuditEvent
from acuback.scheduling import notifications
from acuback.web import mailbox
from tests.factories import make_appointment

START = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)  # 10:00 in Chicago, the clinic's zone


@pytest.fixture
def to_mailbox(settings, tmp_path):
    settings.EMAIL_BACKEND = mailbox.EMAIL_BACKEND
    settings.ACUBACK_SMS_BACKEND = mailbox.SMS_BACKEND
    settings.ACUBACK_MAILBOX_DIR = tmp_path / "mailbox"
    return settings.ACUBACK_MAILBOX_DIR


def test_reminders_go_to_the_mailbox_and_its_page_shows_them(world, to_mailbox, login, capsys):
    world.patient.email, world.patient.phone = "alice@example.com", "+1 312 555 0101"
    world.patient.save()
    with time_machine.travel(START - timedelta(days=3), tick=False):
        make_appointment(world, start=START)
        notifications.tick()
    with time_machine.travel(START - timedelta(hours=24), tick=False):
        assert notifications.tick()["sent"] == 2
    assert capsys.readouterr().out == ""  # nothing on the console
    assert sorted(p.suffix for p in to_mailbox.iterdir()) == [".eml", ".sms"]

    page = login(world.admin).get(reverse("mailbox"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "<h2>E-mail to alice@example.com: " in text and "<h2>SMS to +1 312 555 0101" in text
    sms, email = text.split('<article class="card"')[1:]  # newest first: the SMS
    for message in (email, sms):  # on the clinic's clock, its zone named
        assert "Thursday 3 December at 10:00 CST" in message
    assert "Attached: appointment.ics" in text
    assert "Message(kind=" not in text  # not mistaken for the page's flash messages
    assert AuditEvent.objects.filter(action="mailbox.view", actor=world.admin).exists()


@pytest.mark.parametrize("role", ["practitioner", "front_desk", "patient"])
def test_the_mailbox_is_for_a_clinic_admin(world, to_mailbox, login, role):
    assert login(world.user_for(role)).get(reverse("mailbox")).status_code == 403


def test_without_the_mailbox_backends_there_is_no_mailbox_page(world, login):
    assert not mailbox.in_use()
    assert login(world.admin).get(reverse("mailbox")).status_code == 404


def test_welcome_ends_with_the_address_the_mailbox_and_the_logins(db, to_mailbox):
    call_command("seed_demo", "--if-empty", stdout=StringIO())
    out = StringIO()
    call_command("welcome", "http://127.0.0.1:8000", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert "acuback is running at http://127.0.0.1:8000/" in out.getvalue()
    assert "read them at http://127.0.0.1:8000/dev/mailbox/" in out.getvalue()
    assert "Demo logins (password for all: acuback-demo):" in lines
    assert lines[-2].startswith("  harbor") and set(lines[-1]) == {"="}


def test_welcome_waits_for_the_server_and_names_the_field_it_refuses(db, live_server):
    out = StringIO()
    call_command("welcome", live_server.url, "--wait", "5", stdout=out)
    assert f"acuback is running at {live_server.url}/" in out.getvalue()
    with pytest.raises(CommandError, match="url: give"):
        call_command("welcome", "file:///etc/passwd", stdout=StringIO())
