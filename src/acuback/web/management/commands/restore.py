"""`acuback restore FILE --yes`: replace the database with a backup, then prove it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from acuback.web import backup


class Command(BaseCommand):
    help = ("Restore a backup made by `acuback backup`, then check row counts and the audit "
            "chain against its manifest. Stop the server and the worker first.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true",
                            help="confirm that the current database is to be replaced")
        parser.add_argument("--identity", help="the age secret-key file of an encrypted backup")

    def handle(self, *args, file: str, yes: bool, identity: str | None = None, **options):
        if not yes:
            raise CommandError("This replaces the whole database: add --yes to confirm.")
        try:
            report = backup.restore(file, identity=identity)
        except (backup.BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for line in report.differences + report.audit_problems:
            self.stderr.write(line)
        if report.differences:
            raise CommandError("Restored, but the database does NOT match the backup's "
                               "manifest (see above).")
        if report.audit_problems:
            raise CommandError("Restored: the row counts match the backup's manifest, but "
                               "the audit chain could not be verified (see above).")
        self.stdout.write(self.style.SUCCESS("Restored; row counts and the audit chain match "
                                             "the backup."))
