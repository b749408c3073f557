"""Backup and restore, with a manifest to prove the round trip.

SQLite: the online backup API (a consistent copy while the server runs). PostgreSQL:
pg_dump in its custom format, restored with pg_restore. Each backup writes
``<file>.manifest.json`` beside it: the row count of every table and the audit log's
head hash. ``restore`` loads the file and then checks the database against the manifest
and walks the audit chain; any difference is reported and fails the command.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess  # nosec B404
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone


class BackupError(Exception):
    pass


def row_counts() -> dict[str, int]:
    tables = sorted({m._meta.db_table for m in apps.get_models()
                     if m._meta.managed and not m._meta.proxy})
    counts = {}
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for table in tables:
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608  # nosec B608
                counts[table] = cursor.fetchone()[0]
    return counts


def audit_head() -> str:
    from acuback.audit.models import AuditEvent

    return AuditEvent.objects.order_by("-pk").values_list("hash", flat=True).first() or ""


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise BackupError(f"{name} was not found: install the PostgreSQL client tools")


def _pg_args() -> tuple[list[str], dict]:
    db = settings.DATABASES["default"]
    args = ["--host", db.get("HOST") or "localhost", "--port", str(db.get("PORT") or 5432),
            "--username", db.get("USER") or "postgres", "--dbname", db["NAME"]]
    env = {"PGPASSWORD": db.get("PASSWORD") or ""}
    return args, env


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: dict


def backup(output: Path | None = None) -> Backup:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    vendor = connection.vendor
    if output is None:
        folder = settings.DATA_DIR / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        output = folder / f"acuback-{stamp}.{'sqlite3' if vendor == 'sqlite' else 'dump'}"
    output = Path(output)
    manifest = {"created_at": timezone.now().isoformat(), "engine": vendor,
                "row_counts": row_counts(), "audit_head": audit_head()}
    if vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(output)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    elif vendor == "postgresql":
        import os

        args, env = _pg_args()
        subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner",  # noqa: S603 # nosec B603
                        "--file", str(output), *args], check=True, env={**os.environ, **env},
                       capture_output=True, timeout=6 * 3600)
    else:
        raise BackupError(f"backups are not supported on {vendor}")
    Path(f"{output}.manifest.json").write_text(json.dumps(manifest, indent=1))
    return Backup(output, manifest)


@dataclass(frozen=True)
class RestoreReport:
    differences: list[str]
    audit_problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.differences and not self.audit_problems


def restore(path: Path) -> RestoreReport:
    path = Path(path)
    manifest_path = Path(f"{path}.manifest.json")
    if not path.exists():
        raise BackupError(f"no backup at {path}")
    if not manifest_path.exists():
        raise BackupError(f"the manifest {manifest_path.name} is missing: the restore "
                          "could not be checked")
    manifest = json.loads(manifest_path.read_text())
    vendor = connection.vendor
    if manifest["engine"] != vendor:
        raise BackupError(f"this is a {manifest['engine']} backup; the database is {vendor}")
    if vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(path)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        import os

        args, env = _pg_args()
        subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",  # noqa: S603 # nosec B603
                        "--single-transaction", *args, str(path)], check=True,
                       env={**os.environ, **env}, capture_output=True, timeout=6 * 3600)
    return verify(manifest)


def verify(manifest: dict) -> RestoreReport:
    from acuback.audit import chain
    from acuback.audit.models import AuditEvent

    now = row_counts()
    differences = [f"{table}: {count} rows in the backup, {now.get(table)} now"
                   for table, count in manifest["row_counts"].items() if now.get(table) != count]
    verdict = chain.verify(chain.in_order(AuditEvent.objects.all()))
    problems = [p.message for p in verdict.problems]
    if verdict.head != manifest["audit_head"]:
        problems.append("the audit log's newest event is not the one in the backup")
    return RestoreReport(differences, problems)
