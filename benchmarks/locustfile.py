"""Mixed workload of the main staff journeys (run by benchmarks/load.py).

Each simulated user logs in once as the benchmark clinic admin, then repeatedly opens
pages by weight. `ping` is the minimal authenticated view (same middleware, no work):
the yardstick the budgets are ratios to.
"""

from __future__ import annotations

import json
import os
import random

from locust import HttpUser, between, task

SETUP = json.loads(open(os.environ["ACUBACK_BENCH_SETUP"]).read())  # noqa: SIM115


class Staff(HttpUser):
    wait_time = between(0.1, 0.3)

    def on_start(self):
        self.client.get("/login/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post("/login/", {"username": SETUP["username"],
                                     "password": SETUP["password"],
                                     "csrfmiddlewaretoken": token},
                         headers={"Referer": self.host + "/login/"}, name="login")

    def _patient(self) -> int:
        return random.choice(SETUP["patients"])  # noqa: S311

    @task(4)
    def ping(self):
        self.client.get("/account/ping/", name="minimal view")

    @task(3)
    def day_view(self):
        self.client.get(f"/calendar/?day={SETUP['busy_day']}", name="day view")

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
