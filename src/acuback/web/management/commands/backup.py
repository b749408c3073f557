"""`acuback backup [--output FILE]`: a consistent copy of the database and its manifest."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from acuback.web import backup


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup or pg_dump) with a manifest."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="file to write (default: DATA_DIR/backups/)")

    def handle(self, *args, output=None, **options):
        try:
            made = backup.backup(output)
        except (backup.BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(made.manifest["row_counts"].values())
        self.stdout.write(self.style.SUCCESS(
            f"Backed up {rows} rows to {made.path} (manifest beside it; audit head "
            f"{made.manifest['audit_head'][:16]}…"
            f"{'; encrypted to ACUBACK_BACKUP_RECIPIENT' if made.manifest['encrypted'] else ''})."))
        self.stdout.write(backup.KEY_REMINDER)
