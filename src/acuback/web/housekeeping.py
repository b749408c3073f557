"""The worker's daily housekeeping: what grows without limit is pruned.

Finished task results (the clock queues a task a minute per worker) and the heartbeats of
workers long stopped, expired sessions, login logs and spent lock-out counters
(django-axes), SMART apps' expired OAuth tokens and assertion ids, and bulk-export folders, whose NDJSON files hold patient data. How long each is kept is a setting (ACUBACK_*_KEEP_DAYS,
docs/deployment.md). Clinical records and the audit log are never pruned here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django_tasks import task

HOUSEKEEPING_GATE = "acuback:housekeeping"


def prune(now: datetime) -> dict[str, int]:
    from axes.handlers.proxy import AxesProxyHandler
    from axes.models import AccessAttempt
    from django.contrib.sessions.models import Session
    from django_tasks_db.models import DBTaskResult
    from oauth2_provider.models import clear_expired

    from acuback.interop.models import ClientAssertionUse
    from acuback.interop.oauth import ASSERTION_LEEWAY_SECONDS
    from acuback.interop.services import export_folders_prune
    from acuback.scheduling.models import SlotHold

    from .models import WorkerHeartbeat

    finished = DBTaskResult.objects.filter(status__in=["SUCCESSFUL", "FAILED"],
                                           finished_at__lt=now - timedelta(
                                               days=settings.ACUBACK_TASK_RESULT_KEEP_DAYS))
    login_days = settings.ACUBACK_LOGIN_LOG_KEEP_DAYS
    return {
        "task_results": finished.delete()[0],
        "sessions": Session.objects.filter(expire_date__lt=now).delete()[0],
        "login_logs": (AxesProxyHandler.reset_logs(age_days=login_days)
                       + AxesProxyHandler.reset_failure_logs(age_days=login_days)),
        # Failure counters whose lock-out has run out (axes cleans them only for a request).
        "login_attempts": AccessAttempt.objects.filter(
            attempt_time__lt=now - settings.AXES_COOLOFF_TIME).delete()[0],
        # Each start of `acuback worker` adds a row; those of stopped workers go.
        "worker_heartbeats": WorkerHeartbeat.objects.filter(
            beat_at__lt=now - timedelta(days=settings.ACUBACK_TASK_RESULT_KEEP_DAYS)).delete()[0],
        # Expired or used slot holds, with the details a visitor typed (never a record).
        "booking_holds": SlotHold.objects.filter(
            Q(expires_at__lt=now) | Q(released_at__isnull=False)).delete()[0],
        "export_folders": export_folders_prune(
            older_than=now - timedelta(days=settings.ACUBACK_EXPORT_KEEP_DAYS)),
        # A backend service's assertion ids, once the assertion itself is refused as expired.
        "oauth_assertions": ClientAssertionUse.objects.filter(
            expires_at__lt=now - timedelta(seconds=ASSERTION_LEEWAY_SECONDS)).delete()[0],
        # SMART apps' expired tokens and codes (django-oauth-toolkit's own clean-up).
        "oauth_tokens": clear_expired() or 0,
    }


@task()
def housekeeping_run() -> dict:
    from django.utils import timezone

    return prune(timezone.now())


def queue_when_due() -> bool:
    """Called on every tick of the worker's clock; queues the housekeeping once per
    ACUBACK_HOUSEKEEPING_SECONDS across all workers (the shared cache is the gate)."""
    if not cache.add(HOUSEKEEPING_GATE, True, settings.ACUBACK_HOUSEKEEPING_SECONDS):
        return False
    housekeeping_run.enqueue()
    return True
