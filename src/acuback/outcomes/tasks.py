"""Background work for outcomes (run by `acuback worker`)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db import DatabaseBackend


@task()
def charts_draw(episode_id: int) -> int:
    """Draw (and cache) an episode's charts after a change, in the clinic's time zone as
    the pages do, so the cache key is the one the next page asks for."""
    from zoneinfo import ZoneInfo

    from acuback.patients.models import EpisodeOfCare

    from .charts import episode_charts

    episode = EpisodeOfCare.objects.select_related("patient__clinic").get(pk=episode_id)
    with timezone.override(ZoneInfo(episode.patient.clinic.time_zone)):
        # The staff pages' charts and the patient's phone-sized ones (portal progress).
        return sum(1 for narrow in (False, True)
                   for _, svg in episode_charts(episode, narrow=narrow) if svg)


def charts_draw_later(episode_id: int) -> None:
    """Queue the drawing with the change: nothing is queued if it rolls back.

    The database queue (the default backend) is a table in the same database, so the task
    row is written in the caller's transaction and commits with the change, without a
    commit of its own (one write and one disk flush fewer per signed session or submitted
    questionnaire). Any other backend is asked once the change is committed."""
    if isinstance(charts_draw.get_backend(), DatabaseBackend) and \
            transaction.get_connection().in_atomic_block:
        charts_draw.enqueue(episode_id)
    else:
        transaction.on_commit(lambda: charts_draw.enqueue(episode_id))
