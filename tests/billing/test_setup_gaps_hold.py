"""A missing configuration is never a coverage decision (issue #29, a biller's finding):
without the CMS NCD 30.3.3 diagnosis list a Medicare line is held ("configure ..."),
never GZ or "not covered", and the gap never reaches an ABN; the demo clinic's Medicare
patient is decided on the record."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from acuback.accounts.zones import today_at as clinic_today
from acuback.billing import abn, superbill
from acuback.billing.models import Payer
from acuback.billing.selectors import coverage_status
from acuback.clinical import coverage
from tests.billing.conftest import visit

FACTS = {"duration_weeks": 20, "specific_cause": False, "related_to_surgery": False,
         "related_to_pregnancy": False, "diagnosis_codes": ["M54.50"],
         "practitioner_eligible": True}


@given(prior=st.lists(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 30)),
                      max_size=25),
       improved=st.booleans(), not_improving=st.booleans(), weeks=st.sampled_from([4, 20]),
       abn_signed=st.booleans())
def test_an_unloaded_list_holds_the_line_and_decides_nothing(prior, improved, not_improving,
                                                             weeks, abn_signed):
    on = date(2026, 12, 31)
    facts = FACTS | {"duration_weeks": weeks}
    loaded = coverage.eligibility(**facts, covered_codes=frozenset({"M54.50"}))
    missing = coverage.eligibility(**facts, covered_codes=None)
    assert missing.eligible == loaded.eligible and missing.reasons == loaded.reasons
    assert any("configure" in r for r in missing.held) and not loaded.held
    kw = {"prior_visits": prior, "on": on, "improvement_documented": improved,
          "not_improving": not_improving, "abn_signed": abn_signed}
    decided = coverage.next_visit(eligible=loaded, **kw)
    held = coverage.next_visit(eligible=missing, **kw)
    # The modifiers and the reasons are the record's; the gap only holds the line.
    assert held.modifiers == decided.modifiers and held.reasons == decided.reasons
    assert held.held == missing.held and not held.covered


def test_the_claim_line_is_held_not_gz_and_no_abn_is_prepared(medicare_patient):
    Payer.objects.update(covered_diagnoses=None, covered_diagnoses_source="")
    today = clinic_today(medicare_patient.clinic)
    visit(medicare_patient, today)
    bill = superbill.build(patient=medicare_patient.patient, start=today, end=today)
    line = bill.lines[0]
    assert line.modifiers == () and line.held
    row = superbill.claim_rows(bill)[0]
    assert row["status"] == "held" and "configure" in row["reason"]
    assert "GZ" not in row["box_24d_modifiers"]
    assert abn.notice_for(medicare_patient.patient, today + timedelta(days=1)) is None
    warnings = coverage_status(patient=medicare_patient.patient, on=today).warnings
    assert any("configure" in w for w in warnings)
    assert not any("ABN" in w for w in warnings)


def test_an_abn_never_carries_the_setup_gap(medicare_patient):
    Payer.objects.update(covered_diagnoses=None, covered_diagnoses_source="")
    day = clinic_today(medicare_patient.clinic)
    for n in range(12):  # visit 13 on `day`, without documented improvement: a real denial
        visit(medicare_patient, day - timedelta(days=84 - 7 * n))
    notice = abn.notice_for(medicare_patient.patient, day)
    assert notice is not None and any("visit 13" in r for r in notice.reasons)
    assert not any("list" in r or "configure" in r for r in notice.reasons)


def test_the_demos_medicare_lines_are_decided_on_the_record(db, client):
    import csv
    import io

    from django.core.management import call_command
    from django.urls import reverse
    from django.utils import timezone

    from acuback.accounts.models import User
    from acuback.billing.models import CoveragePlan

    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    payer = Payer.objects.get(kind="medicare")
    payer.full_clean()  # billable ICD-10-CM codes, with where the list came from
    assert payer.covered_diagnoses and "demo" in payer.covered_diagnoses_source.lower()
    client.force_login(User.objects.get(username="admin"))
    today = timezone.localdate()
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("claim_export"), {
        "from": (today - timedelta(days=60)).isoformat(), "to": today.isoformat()})
        .content.decode())))
    medicare = CoveragePlan.objects.get(payer__kind="medicare").patient
    theirs = [r for r in rows if r["box_2_patient_name"].startswith(medicare.family_name)]
    assert theirs
    assert not any("list" in r["reason"] for r in theirs)
    assert all(r["status"] == "ready" and "GZ" not in r["box_24d_modifiers"] for r in theirs)
