"""Backup and restore round trip: row counts and the audit chain match afterwards."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from acuback.audit.models import AuditEvent
from acuback.audit.services import audit_record
from acuback.patients.models import Patient
from tests.factories import make_patient, make_world


def _can_back_up() -> bool:
    if connection.vendor == "sqlite":
        return True
    from acuback.web.backup import BackupError, _pg_tool

    try:
        _pg_tool("pg_dump")
        return True
    except BackupError:
        return False


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_gives_back_the_same_database(tmp_path):
    if not _can_back_up():
        pytest.skip("pg_dump is not installed")
    world = make_world()
    audit_record(request=None, action="test.before", patient=world.patient)
    target = tmp_path / "backup.bin"
    out = StringIO()
    call_command("backup", "--output", str(target), stdout=out)
    manifest = json.loads((tmp_path / "backup.bin.manifest.json").read_text())
    assert manifest["row_counts"]["patients_patient"] == Patient.objects.count() == 3
    # life goes on after the backup...
    make_patient(world.clinic, family_name="AfterBackup")
    audit_record(request=None, action="test.after")
    # ...and the restore brings back the state at the backup
    call_command("restore", str(target), "--yes", stdout=out)
    assert "row counts and the audit chain match" in out.getvalue()
    assert not Patient.objects.filter(family_name="AfterBackup").exists()
    assert not AuditEvent.objects.filter(action="test.after").exists()


@pytest.mark.django_db(transaction=True)
def test_a_restore_that_does_not_match_its_manifest_fails(tmp_path):
    if not _can_back_up():
        pytest.skip("pg_dump is not installed")
    make_world()
    target = tmp_path / "b.bin"
    call_command("backup", "--output", str(target), stdout=StringIO())
    manifest_path = tmp_path / "b.bin.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["row_counts"]["patients_patient"] += 1  # a backup that lost a row
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="does NOT match"):
        call_command("restore", str(target), "--yes", stdout=StringIO(), stderr=StringIO())


def test_restore_needs_confirmation_and_a_manifest(tmp_path, db):
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "x"), stdout=StringIO())
    (tmp_path / "x").write_bytes(b"")
    with pytest.raises(CommandError, match="manifest"):
        call_command("restore", str(tmp_path / "x"), "--yes", stdout=StringIO())
