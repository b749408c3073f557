"""`acuback worker`: runs background tasks and the reminder clock.

A small thread enqueues the reminder task every ACUBACK_WORKER_TICK_SECONDS;
django-tasks-db's worker runs it (and any other task) from the database queue,
so a crash loses nothing: the task stays queued until a worker runs it. Both ride out a
database outage and carry on (acuback.web.worker), and the worker touches its heartbeat
after each task.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

RELEASE_UID = "acuback-worker-freed-memory"


def release_memory_after_tasks(freed) -> None:
    """Chart drawings and exports leave freed memory behind, as in a web worker: handed
    back after a task that grew the process (acuback.web.memory)."""
    from django_tasks.signals import task_finished

    task_finished.connect(lambda **_: freed.release_if_grown(), weak=False,
                          dispatch_uid=RELEASE_UID)


class Command(BaseCommand):
    help = "Run background tasks (reminders, questionnaire invitations)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true",
                            help="Run one reminder tick now and exit (for cron or a check).")
        parser.add_argument("--max-tasks", type=int, default=None,
                            help="Exit after running this many tasks (default: run until "
                                 "stopped).")

    def handle(self, *args, once: bool, max_tasks: int | None, **options):
        from acuback.scheduling.notifications import tick
        from acuback.scheduling.tasks import reminders_tick
        from acuback.web import housekeeping
        from acuback.web.checks import refuse_unsafe_production
        from acuback.web.installation_key import refuse_a_different_secret_key
        from acuback.web.memory import FreedMemory, freeze_loaded, glibc_trim
        from acuback.web.worker import (
            clock_tick,
            heartbeat_alive,
            new_worker_id,
            requeue_orphaned_tasks,
            run_worker,
        )

        refuse_unsafe_production()
        refuse_a_different_secret_key(self.stderr.write)

        if once:
            self.stdout.write(str(tick()))
            return
        stop = threading.Event()
        worker_id = new_worker_id()

        def clock():
            try:
                while not stop.is_set():
                    clock_tick(lambda: heartbeat_alive(worker_id))
                    clock_tick(requeue_orphaned_tasks)
                    clock_tick(reminders_tick.enqueue)
                    clock_tick(housekeeping.queue_when_due)
                    stop.wait(settings.ACUBACK_WORKER_TICK_SECONDS)
            finally:
                connection.close()  # the clock's own connection ends with it

        freeze_loaded()
        release_memory_after_tasks(FreedMemory(trim=glibc_trim()))
        clock_thread = threading.Thread(target=clock, name="acuback-clock", daemon=True)
        clock_thread.start()
        self.stdout.write("acuback worker started (Ctrl+C stops it)")
        try:
            run_worker(worker_id=worker_id, interval=1, max_tasks=max_tasks)
        finally:
            stop.set()
            clock_thread.join(timeout=30)
