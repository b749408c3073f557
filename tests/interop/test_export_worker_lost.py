"""An export whose worker stopped mid-way runs again (issue #31, operator drill: a
kill -9 of the worker during a bulk export left it "running" for ever, with two live
workers; the same after a database outage cut the export short). Tasks of a worker that
is alive, even one busy with a long task, are left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from acuback.interop.models import BulkExport, BulkExportPart
from acuback.interop.services import export_file_lines
from acuback.interop.tasks import bulk_export_run
from acuback.web import worker
from acuback.web.models import WorkerHeartbeat
from tests.factories import make_world


@pytest.fixture
def cut_short(db):
    """An export its worker claimed and began to write, then stopped."""
    world = make_world()
    job = BulkExport.objects.create(clinic=world.clinic, requested_by=world.admin,
                                    request_url="test", types=["Patient"], status="running",
                                    transaction_time=timezone.now())
    BulkExportPart.objects.create(export=job, file="Patient.ndjson", part=0,
                                  lines='{"half": "written"}\n')
    queued = bulk_export_run.enqueue(job.pk)
    DBTaskResult.objects.filter(pk=queued.id).update(
        status="RUNNING", started_at=timezone.now(), worker_ids=["host:4242:gone"])
    return world, job, queued.id


def _run_one_task():
    worker.run_worker(worker_id="survivor", max_tasks=1, wait=lambda s: None)


@pytest.mark.django_db(transaction=True)
def test_an_export_left_running_by_a_killed_worker_runs_again_from_the_start(cut_short):
    world, job, task_id = cut_short
    assert worker.requeue_orphaned_tasks() == 1
    job.refresh_from_db()
    assert job.status == "queued" and not job.parts.exists()
    _run_one_task()
    job.refresh_from_db()
    assert job.status == "done", job.error
    lines = "".join(export_file_lines(job, "Patient.ndjson")).splitlines()
    assert len(lines) == 2 and all('"half"' not in line for line in lines)  # the world's 2
    assert DBTaskResult.objects.get(pk=task_id).status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_the_task_of_a_worker_alive_but_busy_is_left_alone(cut_short, settings):
    _world, job, task_id = cut_short
    long_ago = timezone.now() - timedelta(hours=1)
    WorkerHeartbeat.objects.create(worker_id="host:4242:gone", host="host", pid=4242,
                                   started_at=long_ago, beat_at=long_ago,  # no task done
                                   alive_at=timezone.now())  # but its clock ticks
    assert worker.requeue_orphaned_tasks() == 0
    assert DBTaskResult.objects.get(pk=task_id).status == "RUNNING"
    WorkerHeartbeat.objects.filter(worker_id="host:4242:gone").update(
        alive_at=timezone.now() - timedelta(seconds=settings.ACUBACK_WORKER_LATE_SECONDS + 5))
    assert worker.requeue_orphaned_tasks() == 1


@pytest.mark.django_db(transaction=True)
def test_an_export_the_database_outage_cut_short_runs_again(cut_short):
    _world, job, task_id = cut_short
    worker._requeue_interrupted(task_id)
    _run_one_task()
    job.refresh_from_db()
    assert job.status == "done", job.error
