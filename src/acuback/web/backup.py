"""Backup and restore, with a manifest to prove the round trip.

SQLite: the online backup API (a consistent copy while the server runs). PostgreSQL:
pg_dump in its custom format, restored with pg_restore. Each backup writes
``<file>.manifest.json`` beside it: the row count of every table, the audit log's head
hash, the file's SHA-256 and the fingerprint of the key the audit chain is signed with.
The counts and the head are read from exactly what was copied: from the copy itself on
SQLite, and on PostgreSQL inside the transaction whose snapshot pg_dump dumps (a backup
taken while a user searched once failed its own check: 209 audit events in the database
against 200 counted). ``restore`` checks the file's hash, loads it, then checks the
database against the manifest and walks the audit chain; any difference is reported and
fails the command.

Files are written under a temporary name with mode 0600 and renamed into place once
complete, so a failed or interrupted backup (a full disk) leaves nothing that looks like
a backup. With ACUBACK_BACKUP_RECIPIENT (an age public key, ``age1…``) the backup is
encrypted to it; only the holder of the matching identity can restore it (``acuback
restore FILE --identity KEYFILE``, or the ``age`` tool).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

KEY_REMINDER = ("The secret key is not in the backup (it signs the audit chain): keep a copy "
                "of ACUBACK_SECRET_KEY, or of the data folder's secret_key file, somewhere "
                "else. Restored under another key, the audit chain cannot be verified.")


class BackupError(Exception):
    pass


def _tables() -> list[str]:
    return sorted({m._meta.db_table for m in apps.get_models()
                   if m._meta.managed and not m._meta.proxy})


def row_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for table in _tables():
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608  # nosec B608
                counts[table] = cursor.fetchone()[0]
    return counts


def audit_head() -> str:
    from acuback.audit.models import AuditEvent

    return AuditEvent.objects.order_by("-pk").values_list("hash", flat=True).first() or ""


def _sqlite_facts(path: Path) -> tuple[dict[str, int], str]:
    """Row counts and the audit head of an SQLite file (the copy just made)."""
    from acuback.audit.models import AuditEvent

    copy = sqlite3.connect(path)
    try:
        names = {r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        counts = {t: copy.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]  # noqa: S608  # nosec B608
                  for t in _tables() if t in names}
        head = copy.execute(f'SELECT hash FROM "{AuditEvent._meta.db_table}" '  # noqa: S608  # nosec B608
                            "ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        copy.close()
    return counts, head[0] if head else ""


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
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return args, env


def _run(tool: str, args: list[str], **kwargs) -> None:
    """Run a PostgreSQL tool; its own message, not a traceback, when it fails."""
    db_args, env = _pg_args()
    result = subprocess.run([_pg_tool(tool), *args, *db_args], env=env,  # noqa: S603 # nosec B603
                            capture_output=True, timeout=6 * 3600, check=False, **kwargs)
    if result.returncode != 0:
        message = (result.stderr or b"").decode(errors="replace").strip() or "no message"
        raise BackupError(f"{tool} failed (exit {result.returncode}): {message}")


def _recipient():
    raw = getattr(settings, "ACUBACK_BACKUP_RECIPIENT", "")
    if not raw:
        return None
    import pyrage

    try:
        return pyrage.x25519.Recipient.from_str(raw)
    except pyrage.RecipientError as exc:
        raise BackupError(f"ACUBACK_BACKUP_RECIPIENT is not an age public key (age1…): "
                          f"{exc}") from exc


@contextlib.contextmanager
def _private_file(final: Path) -> Iterator[Path]:
    """A new file of mode 0600 beside `final`, renamed onto it when the block completes
    and removed when it fails."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent)
    os.close(fd)  # mkstemp makes it 0600
    partial = Path(name)
    try:
        yield partial
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: dict


def backup(output: Path | None = None) -> Backup:
    from acuback.audit import chain

    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups are not supported on {vendor}")
    recipient = _recipient()
    if output is None:
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        suffix = ("sqlite3" if vendor == "sqlite" else "dump") + (".age" if recipient else "")
        output = settings.DATA_DIR / "backups" / f"acuback-{stamp}.{suffix}"
    output = Path(output)
    try:
        with _private_file(output) as partial:
            if vendor == "sqlite":
                counts, head = _backup_sqlite(partial, recipient)
            else:
                counts, head = _backup_postgresql(partial, recipient)
        manifest = {"created_at": timezone.now().isoformat(), "engine": vendor,
                    "row_counts": counts, "audit_head": head,
                    "audit_key_fingerprint": chain.key_fingerprint(),
                    "encrypted": recipient is not None, "sha256": _sha256(output)}
        with _private_file(Path(f"{output}.manifest.json")) as partial:
            partial.write_text(json.dumps(manifest, indent=1))
    except OSError as exc:  # a full disk, a folder that cannot be written
        raise BackupError(f"could not write the backup {output}: {exc.strerror or exc}") \
            from exc
    return Backup(output, manifest)


@contextlib.contextmanager
def _scratch(folder: Path) -> Iterator[Path]:
    """A file of mode 0600 in `folder` for an unencrypted copy, removed afterwards."""
    fd, name = tempfile.mkstemp(prefix=".acuback-plain.", dir=folder)
    os.close(fd)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _encrypt(plain: Path, partial: Path, recipient) -> None:
    import pyrage

    pyrage.encrypt_file(str(plain), str(partial), [recipient])


def _backup_sqlite(partial: Path, recipient) -> tuple[dict[str, int], str]:
    with _scratch(partial.parent) as plain:
        target = plain if recipient else partial
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        facts = _sqlite_facts(target)  # from the copy: what was copied, nothing else
        if recipient:
            _encrypt(plain, partial, recipient)
    return facts


def _backup_postgresql(partial: Path, recipient) -> tuple[dict[str, int], str]:
    # One snapshot for the counts, the head and the dump: a repeatable-read transaction
    # exports it and stays open while pg_dump dumps it.
    with transaction.atomic(), connection.cursor() as cursor, _scratch(partial.parent) as plain:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts, head = row_counts(), audit_head()
        _run("pg_dump", ["--format=custom", "--no-owner", f"--snapshot={snapshot}",
                         "--file", str(plain if recipient else partial)])
        if recipient:
            _encrypt(plain, partial, recipient)
    return counts, head


@dataclass(frozen=True)
class RestoreReport:
    differences: list[str]
    audit_problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.differences and not self.audit_problems


def restore(path: Path, identity: Path | None = None) -> RestoreReport:
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
    if manifest.get("sha256") and _sha256(path) != manifest["sha256"]:
        raise BackupError(f"{path.name} is not the file its manifest describes (its SHA-256 "
                          "differs): it was changed or cut short; nothing was restored")
    with _readable(path, manifest, identity) as source:
        if vendor == "sqlite":
            connection.ensure_connection()
            copy = sqlite3.connect(source)
            try:
                copy.backup(connection.connection)
            finally:
                copy.close()
        else:
            _run("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction",
                                str(source)])
    return verify(manifest)


@contextlib.contextmanager
def _readable(path: Path, manifest: dict, identity: Path | None) -> Iterator[Path]:
    if not manifest.get("encrypted"):
        yield path
        return
    if identity is None:
        raise BackupError("this backup is encrypted: give the age identity (secret key) "
                          "file with --identity")
    import pyrage

    try:
        key = pyrage.x25519.Identity.from_str(
            next(line.strip() for line in Path(identity).read_text().splitlines()
                 if line.startswith("AGE-SECRET-KEY-")))
    except (StopIteration, pyrage.IdentityError) as exc:
        raise BackupError(f"{identity} holds no age secret key (AGE-SECRET-KEY-…)") from exc
    with tempfile.TemporaryDirectory(prefix="acuback-restore-") as scratch:
        plain = Path(scratch) / "backup"
        try:
            pyrage.decrypt_file(str(path), str(plain), [key])
        except pyrage.DecryptError as exc:
            raise BackupError(f"could not decrypt {path.name} with {identity}: {exc}") from exc
        yield plain


def verify(manifest: dict) -> RestoreReport:
    from acuback.audit import chain
    from acuback.audit.models import AuditEvent

    now = row_counts()
    differences = [f"{table}: {count} rows in the backup, {now.get(table)} now"
                   for table, count in manifest["row_counts"].items() if now.get(table) != count]
    recorded = manifest.get("audit_key_fingerprint")
    if recorded and recorded not in chain.verifying_fingerprints():
        return RestoreReport(differences, [
            f"the audit chain was signed with another secret key (fingerprint {recorded}; "
            f"this installation's is {chain.key_fingerprint()}): set ACUBACK_SECRET_KEY to "
            "the key in use when the backup was made, then run `acuback audit verify`"])
    verdict = chain.verify(chain.in_order(AuditEvent.objects.all()))
    problems = [p.message for p in verdict.problems]
    if verdict.head != manifest["audit_head"]:
        problems.append("the audit log's newest event is not the one in the backup")
    return RestoreReport(differences, problems)
