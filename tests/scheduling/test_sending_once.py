"""The outbox sends each message at most once, whatever the number of workers, and drops
messages that are too late to be of use."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection

from acuback.scheduling import notifications
from acuback.scheduling.models import Notification
from tests.factories import make_appointment

CHICAGO = ZoneInfo("America/Chicago")
BOOKED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=CHICAGO)
START = datetime(2026, 12, 3, 10, 0, tzinfo=CHICAGO)


@pytest.fixture
def appointment(world):
    world.patient.email, world.patient.phone = "alice@example.com", ""
    world.patient.save()
    with time_machine.travel(BOOKED_AT, tick=False):
        appointment = make_appointment(world, start=START)
        notifications.plan_reminders(BOOKED_AT)
    return appointment


def test_a_second_worker_does_not_send_a_message_that_is_being_sent(appointment, monkeypatch):
    # The mail server is slow: while the first worker waits on it, a second worker looks
    # for due messages. The claimed message must not be among them.
    real_send = mail.EmailMessage.send
    due = START - timedelta(hours=2)

    def slow_send(self, fail_silently=False):
        monkeypatch.setattr(mail.EmailMessage, "send", real_send)
        notifications.send_due(due)  # the other worker, while this one is sending
        return real_send(self, fail_silently=fail_silently)

    monkeypatch.setattr(mail.EmailMessage, "send", slow_send)
    assert notifications.send_due(due) == (1, 0)
    assert len(mail.outbox) == 1
    assert Notification.objects.get().status == "sent"


@pytest.mark.django_db(transaction=True)
def test_two_workers_and_a_slow_mail_server_send_each_message_once(monkeypatch):
    from tests.factories import make_world

    world = make_world()
    world.patient.email, world.patient.phone = "alice@example.com", "+1 312 555 0101"
    world.patient.save()
    with time_machine.travel(BOOKED_AT, tick=False):
        for day in range(3):
            make_appointment(world, start=START + timedelta(days=day, hours=day))
        notifications.plan_reminders(BOOKED_AT)
    assert Notification.objects.count() == 6
    delivered: list[str] = []
    lock = threading.Lock()

    def slow_deliver(notification):
        time.sleep(0.05)  # a slow mail server: the other worker runs meanwhile
        with lock:
            delivered.append(f"{notification.pk}")

    monkeypatch.setattr(notifications, "_deliver", slow_deliver)
    due = START + timedelta(days=3)
    errors: list[BaseException] = []

    def worker():
        try:
            for _ in range(3):
                notifications.send_due(due)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    # The appointments have passed by `due`: keep them in the future for this test.
    monkeypatch.setattr(notifications, "_too_late", lambda notification, now: "")
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(delivered) == sorted({*delivered})  # nothing twice
    assert len(delivered) == 6
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_a_reminder_for_an_appointment_that_has_started_is_dropped(appointment):
    # The worker was down and catches up 20 minutes after the start.
    with time_machine.travel(START + timedelta(minutes=20), tick=False):
        assert notifications.send_due(START + timedelta(minutes=20)) == (0, 0)
    assert mail.outbox == []
    reminder = Notification.objects.get()
    assert reminder.status == "expired"
    assert "already started" in reminder.last_error


def test_a_reminder_due_before_the_start_is_still_sent(appointment):
    assert notifications.send_due(START - timedelta(minutes=1)) == (1, 0)
    assert Notification.objects.get().status == "sent"


def test_an_invitation_older_than_a_week_is_dropped(world):
    from tests.factories import make_episode

    world.patient.email = "alice@example.com"
    world.patient.save()
    make_episode(world.patient, world.practitioner)
    planned_at = datetime(2026, 12, 1, 9, 0, tzinfo=CHICAGO)
    with time_machine.travel(planned_at, tick=False):
        assert notifications.plan_questionnaire_invitations(planned_at) == 1
    later = planned_at + notifications.INVITATION_INTERVAL + timedelta(minutes=1)
    assert notifications.send_due(later) == (0, 0)
    assert Notification.objects.get().status == "expired"
    assert mail.outbox == []


def test_a_message_left_claimed_by_a_stopped_worker_is_failed_not_sent_again(appointment):
    due = START - timedelta(hours=2)
    Notification.objects.update(status="sending", claimed_at=due - timedelta(hours=1),
                                attempts=1)
    assert notifications.send_due(due) == (0, 1)
    stuck = Notification.objects.get()
    assert stuck.status == "failed" and "may or may not" in stuck.last_error
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_planning_at_once_invite_once(monkeypatch):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # An in-memory database shares one cache between threads and answers a second
        # writer "table is locked" at once instead of waiting: the race needs a real server
        # (this runs on PostgreSQL in `make test`; a SQLite file queues writers at BEGIN).
        pytest.skip("needs a database file or server")
    from acuback.outcomes import services as outcome_services
    from tests.factories import make_episode, make_world

    world = make_world()
    world.patient.email = "alice@example.com"
    world.patient.save()
    make_episode(world.patient, world.practitioner)
    real_link_create = outcome_services.link_create

    def slow_link_create(**kwargs):
        time.sleep(0.1)  # both workers have read "no invitation yet" by now
        return real_link_create(**kwargs)

    monkeypatch.setattr(outcome_services, "link_create", slow_link_create)
    moment = datetime(2026, 12, 1, 9, 0, tzinfo=CHICAGO)
    errors: list[BaseException] = []

    def worker():
        try:
            notifications.plan_questionnaire_invitations(moment)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Notification.objects.filter(kind="questionnaire_invitation").count() == 1


def test_a_second_worker_holding_a_stale_copy_does_not_run_an_export_again(world, tmp_path,
                                                                            settings):
    from acuback.interop.models import BulkExport
    from acuback.interop.services import export_run

    settings.DATA_DIR = tmp_path
    job = BulkExport.objects.create(clinic=world.clinic, requested_by=world.admin,
                                    request_url="/fhir/$export", types=["Patient"])
    other_workers_copy = BulkExport.objects.get(pk=job.pk)
    assert export_run(job).status == "done"
    finished_at = BulkExport.objects.get(pk=job.pk).finished_at
    again = export_run(other_workers_copy)
    assert again.status == "done"
    assert BulkExport.objects.get(pk=job.pk).finished_at == finished_at
