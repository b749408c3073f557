"""`acuback generate-synthetic`: a deterministic synthetic clinic network (see
acuback/web/synthetic.py for the distributions)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from acuback.web.synthetic import generate


class Command(BaseCommand):
    help = "Generate a synthetic clinic network for scale tests and benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, required=True)
        parser.add_argument("--clinics", type=int, default=1)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, patients: int, clinics: int, seed: int, **options):
        if patients < 1 or clinics < 1 or clinics > patients:
            raise CommandError("--patients and --clinics must be at least 1, and there "
                               "cannot be more clinics than patients.")
        from acuback.accounts.models import Clinic

        if Clinic.objects.filter(slug__startswith=f"synthetic-{seed}-").exists():
            raise CommandError(f"A synthetic network with seed {seed} exists already; use "
                               "another --seed.")
        started = time.perf_counter()

        def progress(report):
            elapsed = time.perf_counter() - started
            self.stdout.write(f"  {report.patients:>8} patients, {report.sessions:>9} "
                              f"sessions  ({elapsed:6.0f} s)")

        report = generate(patients=patients, clinics=clinics, seed=seed, progress=progress)
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            f"Generated {report.clinics} clinics, {report.patients} patients, "
            f"{report.episodes} episodes, {report.sessions} sessions, {report.insertions} "
            f"needle sites, {report.responses} questionnaire responses, "
            f"{report.appointments} appointments, {report.adverse_events} adverse events "
            f"in {elapsed:.0f} s."))
