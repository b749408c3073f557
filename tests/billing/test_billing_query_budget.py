"""The superbill and the claims export read the record in a fixed number of queries,
however many visits the period holds (no queries per claim line)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.billing.conftest import visit

START = date(2026, 3, 2)


def queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_the_superbill_and_export_do_not_query_per_line(medicare_patient, login):
    period = {"from": START.isoformat(), "to": (START + timedelta(days=90)).isoformat()}
    superbill_url = reverse("patient_superbill", args=[medicare_patient.patient.pk])
    for i in range(2):
        visit(medicare_patient, START + timedelta(days=7 * i), sets=[(20, False), (15, True)])
    admin = login(medicare_patient.admin)
    few = queries(admin, superbill_url, period), queries(admin, reverse("claim_export"), period)
    for i in range(2, 10):
        visit(medicare_patient, START + timedelta(days=7 * i), sets=[(20, False), (15, True)])
    many = queries(admin, superbill_url, period), queries(admin, reverse("claim_export"), period)
    assert many == few
    assert few[0] <= 30
