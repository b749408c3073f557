"""`acuback seed-demo`: load the demo clinics and print the demo logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from acuback.accounts.models import Clinic
from acuback.web.demo import demo_loaded, demo_login_lines, seed_demo


class Command(BaseCommand):
    help = "Load deterministic demo data (two clinics, staff, patients, consents)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only when the database holds no clinic; otherwise just print the logins.",
        )

    def handle(self, *args, if_empty: bool, **options):
        if Clinic.objects.exists():
            if not if_empty:
                raise CommandError("The database already holds clinics; demo data not loaded.")
            self.stdout.write("Database already holds data; demo data not loaded again.")
        else:
            seed_demo()
            self.stdout.write(self.style.SUCCESS("Demo clinics loaded."))
        if demo_loaded():
            self.stdout.write("\n" + "\n".join(demo_login_lines()))
