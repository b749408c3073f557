"""The load benchmark's journeys in process: time and SQL queries of each, no server.

    python benchmarks/journeys.py --setup DIR/bench-setup.json [--repeat 30] [--profile chart]

Uses the database named by ACUBACK_DATABASE_URL (else SQLite in ACUBACK_DATA_DIR) and the
setup file `benchmarks/load.py` wrote for it (the same users, patients and busiest day).
Each journey goes through Django's test client, so the whole middleware stack runs but
not gunicorn or the network: it is where a page spends its time, not what a user waits.
Prints the median and the queries of each journey; `--profile NAME` adds the functions
that journey spends most time in.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import time
from urllib.parse import urlencode

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acuback.settings")
os.environ.setdefault("ACUBACK_REQUIRE_2FA", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from acuback.accounts.models import User  # noqa: E402


def _journeys(setup: dict, admin: Client, practitioner: Client) -> dict:
    rng = random.Random(1)  # noqa: S311 (choosing test patients)

    def post(url: str, data: dict):
        # URL-encoded, as a browser's form and the locust users send it (the test client's
        # default, multipart, took 0.8 ms more to parse).
        return practitioner.post(url, urlencode(data),
                                 content_type="application/x-www-form-urlencoded")

    def patient() -> int:
        return rng.choice(setup["patients"])

    def start():
        patient_id, episode = rng.choice(setup["ready"])
        created = post(f"/patients/{patient_id}/episodes/{episode}/sessions/",
                       {"source": "blank", "location": setup["location"]})
        assert created.status_code == 302, created.status_code  # noqa: S101
        return created["Location"]

    def sign(url: str):
        response = post(url, {
            "version": 1, "location": setup["location"], "needles_removed": 2,
            "pain_before": 5, "pain_after": 3, "action": "sign",
            "set-TOTAL_FORMS": 1, "set-INITIAL_FORMS": 0, "set-0-order": 1,
            "set-0-face_to_face_minutes": 15,
            "ins-TOTAL_FORMS": 1, "ins-INITIAL_FORMS": 0, "ins-0-needle_set": 1,
            "ins-0-point_code": "BL23", "ins-0-side": "bilateral", "ins-0-depth_mm": "20",
            "ins-0-gauge_mm": "0.25", "ins-0-length_mm": 40,
            "ins-0-material": "stainless_steel", "ins-0-response_sought": "deqi",
            "ins-0-stimulation": "manual", "ins-0-retention_minutes": 20,
        })
        assert response.status_code == 302, response.content[:300]  # noqa: S101

    def submit():
        patient_id, episode = rng.choice(setup["ready"])
        response = post(
            f"/patients/{patient_id}/episodes/{episode}/outcomes/nrs/?time_point=review",
            {"item_1": str(rng.randrange(11)), "action": "submit"})
        assert response.status_code == 302, response.content[:300]  # noqa: S101

    return {
        "minimal view": lambda: admin.get("/account/ping/"),
        "chart": lambda: admin.get(f"/patients/{patient()}/"),
        "day view": lambda: admin.get(f"/calendar/?date={setup['busy_day']}"),
        "week view": lambda: admin.get(f"/calendar/week/?date={setup['busy_day']}"
                                       f"&practitioner={setup['week_practitioner']}"),
        "outcomes page": lambda: admin.get(f"/patients/{patient()}/outcomes/"),
        "dashboard": lambda: admin.get("/insights/"),
        "FHIR search": lambda: admin.get(f"/fhir/Observation?patient={patient()}"),
        # Two requests, timed apart: the start's result is the sign's input.
        "session: start": start,
        "session: record and sign": sign,
        "questionnaire: submit": submit,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", required=True, help="bench-setup.json from load.py")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", default="", help="a journey's name to profile")
    args = parser.parse_args()
    setup = json.loads(open(args.setup).read())  # noqa: SIM115
    admin, practitioner = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    admin.force_login(User.objects.get(username=setup["username"]))
    practitioner.force_login(User.objects.get(username=setup["practitioner"]))
    journeys = _journeys(setup, admin, practitioner)
    profile = cProfile.Profile()
    times: dict[str, list[float]] = {name: [] for name in journeys}
    queries: dict[str, int] = {}

    def measure(name, *arguments):
        if name not in queries:  # the first, untimed run: counting queries turns on Django's
            with CaptureQueriesContext(connection) as captured:  # debug cursor, which is slower
                result = journeys[name](*arguments)
            queries[name] = len(captured)
            return result
        profiling = name == args.profile
        if profiling:
            profile.enable()
        started = time.perf_counter()
        result = journeys[name](*arguments)
        times[name].append(time.perf_counter() - started)
        if profiling:
            profile.disable()
        return result

    for _ in range(args.repeat + 1):
        for name in journeys:
            if name == "session: start":
                measure("session: record and sign", measure(name))
            elif name != "session: record and sign":
                measure(name)
    print("| Journey | median ms | queries |\n|---|---|---|")
    for name, seconds in times.items():  # the first run of each (counting) warmed caches
        print(f"| {name} | {1000 * statistics.median(seconds):.1f} | {queries[name]} |")
    if args.profile:
        pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
            os.environ.get("FILTER", ""), 45)
        if os.environ.get("CALLEES"):
            pstats.Stats(profile).sort_stats("cumulative").print_callees(os.environ["CALLEES"])

if __name__ == "__main__":
    main()
