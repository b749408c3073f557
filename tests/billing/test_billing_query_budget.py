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


def test_the_claims_pages_do_not_query_per_claim_or_line(medicare_patient, login):
    """Claims list, a claim, and a posted 835: the same number of queries with 2 claims
    as with 8 (no queries per claim, line, payment or adjustment)."""
    from acuback.billing.models import Claim, ClaimBatch, Remittance
    from tests.billing.test_electronic_claims import prepare, set_up_for_claims, submit
    from tests.billing.test_remittance_835 import _835, _paid_in_full, _upload

    world = medicare_patient
    set_up_for_claims(world)
    admin = login(world.admin)

    def counts():
        claim = Claim.objects.order_by("pk").first()
        remittance = Remittance.objects.order_by("-pk").first()
        return (queries(admin, reverse("claims_page"), {}),
                queries(admin, reverse("claim_detail", args=[claim.pk]), {}),
                queries(admin, reverse("remittance_detail", args=[remittance.pk]), {}))

    def bill(days, trace):
        for day in days:
            visit(world, day, sets=[(15, False), (15, False)])
        sent = prepare(world, days[0], days[-1])
        submit(world, sent)
        _upload(admin, _835([_paid_in_full(c) for c in sent], trace=trace))

    bill([START + timedelta(days=7 * i) for i in range(2)], "EFT-1")
    few = counts()
    bill([START + timedelta(days=7 * i) for i in range(2, 8)], "EFT-2")
    assert Claim.objects.count() == 8 and ClaimBatch.objects.count() == 2
    assert counts() == few
    assert max(few) <= 30
