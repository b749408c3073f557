"""How the dashboard's aggregates grow with the data.

    python benchmarks/analytics.py            # uses ACUBACK_DATABASE_URL / ACUBACK_DATA_DIR

Times the dashboard's SQL aggregates (responder rates at four time points, the
breakdowns, adverse-event rates, the ART and Cherkin comparisons, the claims ledger)
over one clinic, and over the whole network, of whatever synthetic data the database
holds (`acuback generate-synthetic`). Each figure is the median of 3 runs.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def _timed(fn) -> float:
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acuback.settings")
    import django

    django.setup()
    from django.db import connection

    from acuback.accounts.models import Clinic
    from acuback.insights import ledger, selectors
    from acuback.treatment.models import Session
    from acuback.treatment.selectors import adverse_event_rates

    clinics = list(Clinic.objects.filter(slug__startswith="synthetic-").values_list("pk",
                                                                                    flat=True))
    if not clinics:
        sys.exit("no synthetic network: run acuback generate-synthetic first")
    print(f"{connection.vendor}; {Session.objects.count():,} sessions in "
          f"{len(clinics)} clinics\n")
    print("| scope | sessions | responder rates | breakdowns | AE rates | ART + Cherkin "
          "| claims ledger | total |")
    print("|---|---|---|---|---|---|---|---|")
    for label, ids in (("one clinic", clinics[:1]), ("whole network", clinics)):
        episodes = selectors.clinic_episodes(clinic_ids=ids)
        sessions = Session.objects.filter(patient__clinic_id__in=ids).count()
        ae = adverse_event_rates(clinic_ids=ids)
        parts = [
            _timed(lambda e=episodes: selectors.responder_rates(e)),
            _timed(lambda e=episodes: selectors.breakdowns(e)),
            _timed(lambda i=ids: adverse_event_rates(clinic_ids=i)),
            _timed(lambda e=episodes: (selectors.art_comparison(e),
                                       selectors.cherkin_comparisons(e))),
            _timed(lambda e=episodes, a=ae: ledger.ledger(e, ae_rates=a)),
        ]
        print(f"| {label} | {sessions:,} | " + " | ".join(f"{p:.2f} s" for p in parts)
              + f" | {sum(parts):.2f} s |")


if __name__ == "__main__":
    main()
