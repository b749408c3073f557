"""Run what the request queued for `acuback worker`, as the worker would, inside the test's
transaction (the worker's own loop and its locking are tested in tests/web/test_worker.py)."""

from __future__ import annotations


def run_queued_tasks() -> int:
    """Run every task waiting in the queue, oldest first; how many ran. A task that fails
    fails the test (the worker would record the failure and carry on)."""
    from django_tasks_db.models import DBTaskResult

    ran = 0
    for queued in DBTaskResult.objects.ready().order_by("enqueued_at", "pk"):
        result = queued.task_result
        value = queued.task.call(*result.args, **result.kwargs)
        queued.set_successful(value)
        ran += 1
    return ran
