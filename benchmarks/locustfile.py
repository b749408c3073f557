"""Mixed workload of the main staff journeys (run by benchmarks/load.py).

Each simulated user logs in once as the benchmark clinic admin and once (a second
browser session) as a licensed practitioner of the clinic, then repeatedly runs journeys
by weight: reading pages as the admin, recording and signing a session and entering a
questionnaire as the practitioner. `ping` is the minimal authenticated view (same
middleware, no work): the yardstick the budgets are ratios to.
"""

from __future__ import annotations

import json
import os
import random

from locust import HttpUser, between, events, task
from locust.clients import HttpSession

SETUP = json.loads(open(os.environ["ACUBACK_BENCH_SETUP"]).read())  # noqa: SIM115

# Every response time as measured (ms, a float): locust's own percentiles round to whole
# milliseconds, too coarse for a ratio to a minimal view of 6 to 9 ms.
SAMPLES: dict[str, list[float]] = {}


@events.request.add_listener
def _sample(request_type, name, response_time, response_length, exception=None, **kwargs):
    if exception is None:
        SAMPLES.setdefault(name, []).append(response_time)


@events.quitting.add_listener
def _write_samples(environment, **kwargs):
    if os.environ.get("ACUBACK_BENCH_SAMPLES"):
        with open(os.environ["ACUBACK_BENCH_SAMPLES"], "w") as out:
            json.dump(SAMPLES, out)


class Staff(HttpUser):
    wait_time = between(0.1, 0.3)

    def on_start(self):
        self._login(self.client, SETUP["username"])
        self.practitioner = HttpSession(self.host, self.environment.events.request, self)
        self._login(self.practitioner, SETUP["practitioner"])

    def _login(self, session, username):
        session.get("/login/", name="login page")
        token = session.cookies.get("csrftoken", "")
        session.post("/login/", {"username": username, "password": SETUP["password"],
                                 "csrfmiddlewaretoken": token},
                     headers={"Referer": self.host + "/login/"}, name="login")

    def _post(self, url, data, name):
        session = self.practitioner
        data = {**data, "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")}
        with session.post(url, data, headers={"Referer": self.host + url}, name=name,
                          allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:  # every accepted form redirects
                response.failure(f"{response.status_code}: {response.text[:300]}")
            return response

    def _patient(self) -> int:
        return random.choice(SETUP["patients"])  # noqa: S311

    @task(4)
    def ping(self):
        self.client.get("/account/ping/", name="minimal view")

    @task(3)
    def day_view(self):
        self.client.get(f"/calendar/?date={SETUP['busy_day']}", name="day view")

    @task(2)
    def week_view(self):  # one practitioner's week as a grid (issue #28 §2)
        self.client.get(f"/calendar/week/?date={SETUP['busy_day']}"
                        f"&practitioner={SETUP['week_practitioner']}", name="week view")

    @task(5)
    def chart(self):
        self.client.get(f"/patients/{self._patient()}/", name="chart")

    @task(2)
    def outcomes(self):
        self.client.get(f"/patients/{self._patient()}/outcomes/", name="outcomes page")

    @task(1)
    def dashboard(self):
        self.client.get("/insights/", name="dashboard")

    @task(3)
    def fhir_search(self):
        self.client.get(f"/fhir/Observation?patient={self._patient()}", name="FHIR search")

    @task(2)
    def record_and_sign_a_session(self):
        patient, episode = random.choice(SETUP["ready"])  # noqa: S311
        created = self._post(f"/patients/{patient}/episodes/{episode}/sessions/",
                             {"source": "blank", "location": SETUP["location"]},
                             "session: start")
        url = created.headers.get("Location", "")
        if not url:
            return
        version = 1
        self._post(url, {
            "version": version, "location": SETUP["location"], "needles_removed": 2,
            "pain_before": 5, "pain_after": 3, "action": "sign",
            "set-TOTAL_FORMS": 1, "set-INITIAL_FORMS": 0, "set-0-order": 1,
            "set-0-face_to_face_minutes": 15,
            "ins-TOTAL_FORMS": 1, "ins-INITIAL_FORMS": 0, "ins-0-needle_set": 1,
            "ins-0-point_code": "BL23", "ins-0-side": "bilateral", "ins-0-depth_mm": "20",
            "ins-0-gauge_mm": "0.25", "ins-0-length_mm": 40,
            "ins-0-material": "stainless_steel", "ins-0-response_sought": "deqi",
            "ins-0-stimulation": "manual", "ins-0-retention_minutes": 20,
        }, "session: record and sign")

    @task(2)
    def submit_a_questionnaire(self):
        patient, episode = random.choice(SETUP["ready"])  # noqa: S311
        self._post(f"/patients/{patient}/episodes/{episode}/outcomes/nrs/?time_point=review",
                   {"item_1": str(random.randrange(11)), "action": "submit"},  # noqa: S311
                   "questionnaire: submit")
