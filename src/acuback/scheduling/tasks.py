"""Background tasks (django-tasks; run by `acuback worker`)."""

from __future__ import annotations

from django.core.cache import cache
from django_tasks import task

from . import notifications

# Questionnaire invitations look at every open episode: plan them hourly, not
# every minute (appointment reminders are cheap and run on every tick).
INVITATIONS_EVERY_SECONDS = 3600
CHART_PRUNE_EVERY_SECONDS = 86400


@task()
def notifications_send_now() -> tuple[int, int]:
    """Send what is due at once (a safety alert), without waiting for the next tick."""
    from django.utils import timezone

    return notifications.send_due(timezone.now())


def notifications_send_soon() -> None:
    """Queue notifications_send_now once the caller's transaction commits."""
    from django.db import transaction

    transaction.on_commit(lambda: notifications_send_now.enqueue())


@task()
def reminders_tick() -> dict:
    """Plan reminders and questionnaire invitations, and send what is due; once a day,
    drop chart files nobody has looked at for 30 days and refresh SQLite's query-planner
    statistics (the worker's housekeeping)."""
    from django.db import connection

    from acuback.web import charts

    invitations = cache.add("acuback:invitations-planned", True, INVITATIONS_EVERY_SECONDS)
    result = notifications.tick(invitations=invitations)
    if cache.add("acuback:charts-pruned", True, CHART_PRUNE_EVERY_SECONDS):
        result["charts_pruned"] = charts.prune(older_than_days=30)
        if connection.vendor == "sqlite":
            # SQLite plans without statistics until ANALYZE runs; PRAGMA optimize gathers
            # them where they are missing or stale (PostgreSQL's autovacuum does this).
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA optimize")
    return result
