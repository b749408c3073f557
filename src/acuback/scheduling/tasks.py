"""Background tasks (django-tasks; run by `acuback worker`)."""

from __future__ import annotations

from django_tasks import task

from . import notifications


@task()
def reminders_tick() -> dict:
    """Plan reminders for upcoming appointments and send those that are due."""
    return notifications.tick()
