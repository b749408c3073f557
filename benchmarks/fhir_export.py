"""FHIR bulk export throughput (resources per second), on a throwaway database.

    python benchmarks/fhir_export.py [--patients 2000]

Builds one clinic with N patients, each with an episode, 6 signed sessions of 6 needle
sites, and NRS + ODI at baseline and review; then runs the same export the worker runs
($export of every type) and reports resources per second per type and overall. Uses
ACUBACK_DATABASE_URL when set (e.g. PostgreSQL), else a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def build(patients: int) -> tuple[object, object]:
    from django.utils import timezone

    from acuback.accounts.models import Clinic, Location, Membership, Practitioner, Role, User
    from acuback.outcomes.models import QuestionnaireResponse
    from acuback.patients.models import EpisodeOfCare, Patient
    from acuback.treatment.models import Insertion, Session

    clinic = Clinic.objects.create(name="Bench", slug="bench", time_zone="America/Chicago")
    location = Location.objects.create(clinic=clinic, name="Main", address_line1="1 Main St",
                                       city="Chicago", jurisdiction="US-IL",
                                       time_zone="America/Chicago")
    admin = User.objects.create_user("bench_admin")
    Membership.objects.create(user=admin, clinic=clinic, role=Role.CLINIC_ADMIN)
    practitioner = Practitioner.objects.create(clinic=clinic, display_name="Bench Prac",
                                               profession="acupuncturist")
    people = Patient.objects.bulk_create(
        Patient(clinic=clinic, mrn=str(100000 + n), given_name="Pat", family_name=f"B{n}",
                date_of_birth=date(1960 + n % 40, 1 + n % 12, 1 + n % 28), sex_at_birth="female")
        for n in range(patients))
    today = timezone.localdate()
    episodes = EpisodeOfCare.objects.bulk_create(
        EpisodeOfCare(patient=p, onset_date=today - timedelta(days=200), opened_on=today,
                      diagnosis_codes=["M54.50"], created_by=admin) for p in people)
    sessions = Session.objects.bulk_create(
        Session(patient_id=e.patient_id, episode=e, practitioner=practitioner, location=location,
                session_date=today - timedelta(days=7 * k), created_by=admin,
                needles_inserted=6, needles_removed=6, cpt_codes={"97810": 1, "97811": 1})
        for e in episodes for k in range(6))
    Insertion.objects.bulk_create(
        Insertion(session=s, point_code=code, side="bilateral", depth_mm=Decimal("20.0"),
                  gauge_mm=Decimal("0.25"), length_mm=40, retention_minutes=20)
        for s in sessions for code in ("BL23", "BL25", "GV4", "GB30", "BL40", "KI3"))
    Session.objects.filter(pk__in=[s.pk for s in sessions]).update(status="signed",
                                                                  signed_at=timezone.now())
    now = timezone.now()
    QuestionnaireResponse.objects.bulk_create(
        QuestionnaireResponse(patient_id=e.patient_id, episode=e, instrument=i,
                              instrument_version="1", scorer_version="1", time_point=tp,
                              status="submitted", answers=answers, total=total,
                              wording="paraphrase", completed_by="patient", submitted_at=now)
        for e in episodes for tp in ("baseline", "review")
        for i, answers, total in (("nrs", {"1": 6}, 6.0),
                                  ("odi", {str(k): 2 for k in range(1, 11)}, 40.0)))
    return clinic, admin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--no-validate", action="store_true",
                        help="skip the R4B model check, to see what it costs")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="acuback-bench-")
    os.environ.setdefault("ACUBACK_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acuback.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from acuback.interop.models import BulkExport
    from acuback.interop.resources import KINDS
    from acuback.interop.services import export_run

    if args.no_validate:
        from acuback.interop import mapping

        mapping.validate = lambda resource: resource
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    clinic, admin = build(args.patients)
    print(f"built {args.patients} patients in {time.perf_counter() - started:.1f} s "
          f"({connection.vendor})")
    job = BulkExport.objects.create(clinic=clinic, requested_by=admin, request_url="bench",
                                    types=list(KINDS))
    started = time.perf_counter()
    job = export_run(job)
    elapsed = time.perf_counter() - started
    total = sum(o["count"] for o in job.output)
    for o in job.output:
        print(f"  {o['type']:<22} {o['count']:>8}")
    print(f"exported {total} resources in {elapsed:.1f} s: {total / elapsed:,.0f} resources/s "
          f"({'not ' if args.no_validate else ''}validated with the R4B models)")


if __name__ == "__main__":
    main()
