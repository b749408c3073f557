"""The task worker's loop: it outlives database outages and says it is alive.

django-tasks-db's worker claims each task in a locked transaction and runs it; on any
database error outside a locked database it raises, and the process used to end there
(a 5-second PostgreSQL restart stopped reminders for good). Here the loop waits for the
database with back-off, puts back the task an outage interrupted, and carries on; after
each task it touches its heartbeat row (`WorkerHeartbeat`), which the readiness check
and the clinic admin's home page read.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
)
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from .logging import current_request_id
from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# The errors of a database that is down, restarting or unreachable (not a bad query).
DATABASE_DOWN = (OperationalError, InterfaceError)
FIRST_WAIT_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 10.0  # back within 10 s of the database (drill: 30 s was slow)


def new_worker_id() -> str:
    """Unique across the pool (django-tasks-db records it on each task it claims)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(8)}"


def heartbeat_alive(worker_id: str) -> None:
    """The worker process is alive (its clock thread, every tick), even while a long
    task keeps its task loop from beating: its running tasks are not orphans."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(alive_at=timezone.now())


def heartbeat_touch(worker_id: str, *, started_at: datetime | None = None) -> None:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(beat_at=now,
                                                                         alive_at=now)
    if not updated:
        WorkerHeartbeat.objects.create(
            worker_id=worker_id, host=socket.gethostname()[:255], pid=os.getpid(),
            started_at=started_at or now, beat_at=now, alive_at=now)


@dataclass(frozen=True)
class WorkerStatus:
    last_beat: datetime | None
    late_after: timedelta

    @property
    def late(self) -> bool:
        return self.last_beat is None or timezone.now() - self.last_beat > self.late_after

    def describe(self) -> str:
        if self.last_beat is None:
            return "no background worker has run yet"
        seconds = int((timezone.now() - self.last_beat).total_seconds())
        return f"the background worker last ran a task {seconds} s ago"


def worker_status() -> WorkerStatus:
    """The freshest heartbeat of any worker (one index lookup)."""
    last = (WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True)
            .first())
    return WorkerStatus(last_beat=last,
                        late_after=timedelta(seconds=settings.ACUBACK_WORKER_LATE_SECONDS))


class HeartbeatWorker(Worker):
    """django-tasks-db's worker, touching its heartbeat after each task and remembering
    the task it is running (to put it back if the database goes away under it)."""

    running_task_id = None

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.running_task_id = db_task_result.pk
        token = current_request_id.set(f"task-{db_task_result.pk}")  # in its log lines
        try:
            super().run_task(db_task_result)  # records the outcome; raises if the database is down
        finally:
            current_request_id.reset(token)
        self.running_task_id = None
        heartbeat_touch(self.worker_id)


def run_worker(*, worker_id: str, interval: float = 1, max_tasks: int | None = None,
               wait: Callable[[float], None] = time.sleep) -> None:
    """Run tasks until stopped (a signal, or `max_tasks`), across database outages."""
    done = 0
    while True:
        worker = HeartbeatWorker(
            queue_names=["default"], interval=interval, batch=False, backend_name="default",
            startup_delay=False, max_tasks=None if max_tasks is None else max_tasks - done,
            worker_id=worker_id, excluded_queue_names=[])
        worker.configure_signals()
        try:
            heartbeat_touch(worker_id)
            worker.run()
            return
        except DATABASE_DOWN as exc:
            done += worker._run_tasks
            logger.warning("database unavailable (%s): the worker waits for it",
                           type(exc).__name__)
            wait_for_database(wait)
            _requeue_interrupted(worker.running_task_id)
            logger.warning("database back: the worker carries on")
        finally:
            worker.reset_signals()


def wait_for_database(wait: Callable[[float], None] = time.sleep) -> None:
    """Back off (1, 2, 4, 8, then every 10 s) until a connection opens and answers."""
    delay = FIRST_WAIT_SECONDS
    while True:
        _drop_connection()
        wait(delay)
        try:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return
        except DATABASE_DOWN:
            delay = min(delay * 2, LONGEST_WAIT_SECONDS)


def _drop_connection() -> None:
    # A connection to a server that has gone cannot always be closed politely.
    with contextlib.suppress(DatabaseError):
        connection.close()


def _requeue_interrupted(task_id) -> None:
    """The task the outage cut short runs again (reminders, invitations and exports claim
    their own work, so a second run does not repeat what the first one finished)."""
    if task_id is not None:
        _put_back(DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING))


def _put_back(tasks) -> int:
    """Running tasks whose worker stopped run again; an export restarts from the start."""
    from acuback.interop.services import export_restart

    put_back = 0
    for task in tasks.only("pk", "task_path", "args_kwargs"):
        if DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY, started_at=None):
            put_back += 1
            if task.task_path.endswith(".bulk_export_run"):
                export_restart(*task.args_kwargs.get("args", []),
                               **task.args_kwargs.get("kwargs", {}))
    return put_back


def requeue_orphaned_tasks() -> int:
    """Tasks left running by a worker that is gone (killed, its host lost): none of the
    workers alive within ACUBACK_WORKER_LATE_SECONDS claimed them last. A kill -9 of the
    worker during an export left it "running" for ever (operator drill, issue #31)."""
    alive_since = timezone.now() - timedelta(seconds=settings.ACUBACK_WORKER_LATE_SECONDS)
    alive = set(WorkerHeartbeat.objects.filter(alive_at__gte=alive_since)
                .values_list("worker_id", flat=True))
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    orphans = [task.pk for task in running.only("pk", "worker_ids")
               if not task.worker_ids or task.worker_ids[-1] not in alive]
    put_back = _put_back(DBTaskResult.objects.filter(pk__in=orphans)) if orphans else 0
    if put_back:
        logger.warning("%d task(s) left running by a worker that stopped: put back to run "
                       "again", put_back)
    return put_back


def clock_tick(enqueue: Callable[[], object]) -> bool:
    """One tick of the worker's clock (the reminders, the housekeeping); a database error
    is logged and the clock carries on (it used to end the clock thread, leaving a worker
    that never sent again)."""
    try:
        enqueue()
        close_old_connections()  # the thread's connection, as after a request
        return True
    except DATABASE_DOWN as exc:
        logger.warning("worker clock: database unavailable (%s) for %s; trying again next "
                       "tick", type(exc).__name__, getattr(enqueue, "__qualname__", "a task"))
        _drop_connection()
        return False
