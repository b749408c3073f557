"""/healthz and /readyz for load balancers; a 503 page when the database is down."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.utils import timezone

from acuback.web import health, worker
from acuback.web.models import WorkerHeartbeat


@pytest.fixture
def probe():
    return Client(raise_request_exception=False)


@contextmanager
def database_down():
    def refuse(self, *args, **kwargs):
        raise OperationalError("connection to server at \"db.internal\" failed")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", refuse)
        patch.setattr(CursorWrapper, "executemany", refuse)
        yield


def test_healthz_answers_without_log_in_or_the_database(probe, db,
                                                        django_assert_num_queries):
    with django_assert_num_queries(0):
        response = probe.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"


def test_readyz_is_ready_with_the_database_migrations_and_a_fresh_worker(probe, db):
    worker.heartbeat_touch("w1")
    response = probe.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "migrations", "worker", "secret_key"}


def test_readyz_is_unavailable_when_the_worker_is_late(probe, db, settings):
    settings.ACUBACK_WORKER_LATE_SECONDS = 300
    WorkerHeartbeat.objects.create(worker_id="w1", host="h", pid=1, started_at=timezone.now(),
                                   beat_at=timezone.now() - timedelta(seconds=301))
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_readyz_is_unavailable_before_any_worker_has_run(probe, db):
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert "no background worker" in response.json()["checks"]["worker"]["detail"]


def test_readyz_is_unavailable_with_migrations_not_applied(probe, db, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    worker.heartbeat_touch("w1")
    monkeypatch.setattr(health, "_migrations_applied", False)
    monkeypatch.setattr(MigrationExecutor, "migration_plan",
                        lambda self, targets: [("a migration", False)])
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["ok"] is False


def test_readyz_is_unavailable_when_the_database_is_down(probe, db):
    with database_down():
        response = probe.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "ok": False, "detail": "unreachable (OperationalError)"}


def test_a_probe_by_address_behind_https_is_answered(probe, db, settings):
    settings.ALLOWED_HOSTS = ["clinic.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    assert probe.get("/healthz", HTTP_HOST="10.0.0.7").status_code == 200
    assert probe.get("/readyz", HTTP_HOST="10.0.0.7").status_code in (200, 503)


def test_logging_in_with_the_database_down_shows_a_503_page(probe, world):
    with database_down():
        response = probe.post("/login/", {"username": "alpha_admin", "password": "x" * 12})
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Briefly unavailable" in page and "try again in a minute" in page


def test_any_page_with_the_database_down_shows_the_503_page(probe, world):
    probe.force_login(world.front_desk)
    with database_down():
        response = probe.get("/patients/?q=Okonkwo")
    assert response.status_code == 503


def test_another_server_error_is_a_plain_500_page(probe, world, monkeypatch):
    from acuback.accounts.views import LoginView

    monkeypatch.setattr(LoginView, "get", lambda *a, **k: 1 / 0)
    response = probe.get("/login/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_the_login_form_is_not_shown_while_the_database_is_down(probe, db):
    # A form that could only fail when sent: the user is told at once to wait.
    with database_down():
        response = probe.get("/login/")
    assert response.status_code == 503
    assert "Briefly unavailable" in response.content.decode()
    assert probe.get("/login/").status_code == 200
