"""Health endpoints for load balancers and monitoring, answered before anything else.

`/healthz`: the process is alive (no database, no session). `/readyz`: the database
answers, every migration is applied, the task worker has run a task recently and this
node's secret key is the installation's (acuback.web.installation_key); 503
with the failing check named otherwise. Both are answered by the first middleware, so a
probe needs no log-in, is not redirected to HTTPS, and is not refused for the host name
it used (a load balancer often probes by address).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse

LIVENESS_PATHS = {"/healthz", "/healthz/"}
READINESS_PATHS = {"/readyz", "/readyz/"}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


_migrations_applied = False  # once true it stays true for the life of the process


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Check("database", True, "reachable")
    except DatabaseError as exc:
        return Check("database", False, f"unreachable ({type(exc).__name__})")


def check_migrations() -> Check:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        missing = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if missing:
            return Check("migrations", False, f"{len(missing)} not applied: run "
                         "`acuback migrate`")
        _migrations_applied = True
    return Check("migrations", True, "all applied")


def check_worker() -> Check:
    from .worker import worker_status

    status = worker_status()
    return Check("worker", not status.late, status.describe())


def check_secret_key() -> Check:
    from .installation_key import key_agrees

    ok, detail = key_agrees()
    return Check("secret_key", ok, detail)


def readiness() -> list[Check]:
    database = check_database()
    if not database.ok:
        return [database]  # the other checks read the database
    try:
        migrations = check_migrations()
        checks = [database, migrations, check_worker()]
        return checks + [check_secret_key()] if migrations.ok else checks
    except DatabaseError as exc:
        return [Check("database", False, f"failed during the checks ({type(exc).__name__})")]


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            if request.path in LIVENESS_PATHS:
                return _no_store(HttpResponse("ok\n", content_type="text/plain"))
            if request.path in READINESS_PATHS:
                checks = readiness()
                ready = all(c.ok for c in checks)
                body = {"status": "ready" if ready else "unavailable",
                        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}}
                return _no_store(HttpResponse(json.dumps(body) + "\n",
                                              content_type="application/json",
                                              status=200 if ready else 503))
        return self.get_response(request)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response
