"""The dashboard's reused figures live in the shared database cache: every web worker
(and node) serves the same ones, and "Recompute now" on one drops them for all."""

from __future__ import annotations

from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.urls import reverse

import acuback.settings as deployed  # the module itself, not the tests' override
from acuback.insights.dashboard import _figures_key
from tests.insights.test_dashboard import cohort, score  # noqa: F401 (fixture)

TABLE = "acuback_cache"
DATABASE_CACHE = deployed.CACHES


def other_worker() -> DatabaseCache:
    """What another process sees: a cache object of its own over the same table."""
    return DatabaseCache(TABLE, {})


def test_the_deployment_uses_the_database_cache(db):
    assert deployed.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    assert deployed.CACHES["default"]["LOCATION"] == TABLE
    assert TABLE in connection.introspection.table_names()  # (the insights migration makes it)


def test_figures_computed_by_one_worker_are_served_and_dropped_by_another(cohort, login,  # noqa: F811
                                                                           settings):
    settings.CACHES = DATABASE_CACHE
    settings.ACUBACK_DASHBOARD_CACHE_SECONDS = 300
    client, url = login(cohort.admin), reverse("insights_dashboard")
    assert "<td>Review</td><td>3</td><td>1</td>" in client.get(url).content.decode()
    key = _figures_key(cohort.clinic, None)
    kept = other_worker().get(key)
    assert kept is not None and "<td>Review</td><td>3</td><td>1</td>" in kept["figures_html"]

    _, _, _, d = cohort.episodes
    score(cohort, d, "review", 3)  # d becomes a responder at review: 4 pairs, 2 responders
    assert "<td>Review</td><td>3</td><td>1</td>" in client.get(url).content.decode()
    client.post(url)  # "Recompute now"
    assert other_worker().get(key) is None
    assert "<td>Review</td><td>4</td><td>2</td>" in client.get(url).content.decode()
    assert "<td>Review</td><td>4</td><td>2</td>" in other_worker().get(key)["figures_html"]


def test_the_workers_housekeeping_runs_once_whichever_process_asks(settings, db):
    settings.CACHES = DATABASE_CACHE
    from django.core.cache import cache

    assert cache.add("acuback:charts-pruned", True, 60) is True
    assert other_worker().add("acuback:charts-pruned", True, 60) is False
