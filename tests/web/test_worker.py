"""`acuback worker` outlives database outages, and says when it has stopped."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from acuback.scheduling.tasks import reminders_tick
from acuback.web import worker
from acuback.web.models import WorkerHeartbeat


@pytest.fixture
def quick_backoff(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(worker, "FIRST_WAIT_SECONDS", 0.01)
    monkeypatch.setattr("acuback.web.memory.freeze_loaded", lambda: None)
    yield waits
    # The command connects its memory release to task_finished for the life of the process.
    from django_tasks.signals import task_finished

    from acuback.web.management.commands.worker import RELEASE_UID

    task_finished.disconnect(dispatch_uid=RELEASE_UID)


def _outage(monkeypatch, failures: int):
    """The database refuses the worker's next `failures` attempts to claim a task."""
    real = DBTaskResultQuerySet.get_locked
    left = {"n": failures}

    def get_locked(self):
        if left["n"]:
            left["n"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return real(self)

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", get_locked)
    return left


@pytest.mark.django_db(transaction=True)
def test_the_worker_carries_on_after_a_database_outage(monkeypatch, quick_backoff):
    from tests.factories import make_world

    make_world()
    queued = reminders_tick.enqueue()
    left = _outage(monkeypatch, failures=3)
    call_command("worker", "--max-tasks", "1", stdout=StringIO())
    assert left["n"] == 0  # it met the outage …
    assert DBTaskResult.objects.get(pk=queued.id).status == "SUCCESSFUL"  # … and carried on
    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_task_the_outage_interrupted_runs_again(monkeypatch, quick_backoff):
    from tests.factories import make_world

    make_world()
    queued = reminders_tick.enqueue()
    real_successful = DBTaskResult.set_successful
    calls = {"n": 0}

    def recording_fails_once(self, value):
        calls["n"] += 1
        if calls["n"] == 1:  # the database went away while the task ran
            raise OperationalError("terminating connection due to administrator command")
        return real_successful(self, value)

    monkeypatch.setattr(DBTaskResult, "set_successful", recording_fails_once)
    monkeypatch.setattr(DBTaskResult, "set_failed", lambda self, exc: (_ for _ in ()).throw(
        OperationalError("the server is still down")))
    worker.run_worker(worker_id="test-worker", max_tasks=1, wait=lambda s: None)
    assert calls["n"] == 2
    assert DBTaskResult.objects.get(pk=queued.id).status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)  # it closes the connection, as in an outage: no
def test_the_wait_for_the_database_backs_off(monkeypatch):  # test transaction to roll back
    from django.db import connections

    connection = connections["default"]
    waits: list[float] = []
    attempts = {"n": 0}
    real = type(connection).ensure_connection

    def ensure_connection(self):
        attempts["n"] += 1
        if attempts["n"] <= 4:
            raise OperationalError("connection refused")
        return real(self)

    monkeypatch.setattr(type(connection), "ensure_connection", ensure_connection)
    worker.wait_for_database(wait=waits.append)
    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0]


def test_the_reminder_clock_survives_a_database_error(db):
    calls = []

    def enqueue_down():
        calls.append("down")
        raise OperationalError("could not connect to server")

    assert worker.clock_tick(enqueue_down) is False  # used to end the clock thread
    assert worker.clock_tick(lambda: calls.append("up")) is True
    assert calls == ["down", "up"]


def test_the_clinic_admin_sees_a_late_worker(world, login):
    WorkerHeartbeat.objects.create(worker_id="w1", host="h", pid=1, started_at=timezone.now(),
                                   beat_at=timezone.now() - timedelta(minutes=30))
    page = login(world.admin).get(reverse("home")).content.decode()
    assert "background work have stopped" in page
    assert "last ran a task 1800 s ago" in page or "last ran a task 1801 s ago" in page


def test_the_clinic_admin_sees_no_warning_for_a_working_worker(world, login):
    worker.heartbeat_touch("w1")
    page = login(world.admin).get(reverse("home")).content.decode()
    assert "background work have stopped" not in page


def test_a_practitioner_is_not_shown_the_worker_warning(world, login):
    page = login(world.practitioner).get(reverse("home")).content.decode()
    assert "background work have stopped" not in page
