"""Background tasks (django-tasks; run by `acuback worker`)."""

from __future__ import annotations

from django.core.cache import cache
from django_tasks import task

from . import notifications

# Questionnaire invitations look at every open episode: plan them hourly, not
# every minute (appointment reminders are cheap and run on every tick).
INVITATIONS_EVERY_SECONDS = 3600


@task()
def reminders_tick() -> dict:
    """Plan reminders and questionnaire invitations, and send what is due."""
    invitations = cache.add("acuback:invitations-planned", True, INVITATIONS_EVERY_SECONDS)
    return notifications.tick(invitations=invitations)
