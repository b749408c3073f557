"""The Advance Beneficiary Notice (issue #29 §3; coverage-billing.md §3): prepared from the
record when the next visit is expected to be denied, recorded when signed (on screen or
scanned, dated), and GA only from an ABN the patient signed, choosing option 1, before
the service; GZ otherwise."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from acuback.accounts.zones import today_at as clinic_today
from acuback.audit.models import AuditEvent
from acuback.billing import superbill
from acuback.billing.models import Abn
from acuback.billing.selectors import coverage_status
from tests.billing.conftest import visit


def over_the_limit(world, day=None):
    """Twelve visits in the 90 days before `day` (default today): visit 13 on `day` has no
    documented improvement, so Medicare is expected to deny it."""
    day = day or clinic_today(world.clinic)
    for n in range(12):
        visit(world, day - timedelta(days=84 - 7 * n))
    return day


def test_an_abn_recorded_after_the_visit_does_not_make_it_ga(medicare_patient):
    past = over_the_limit(medicare_patient, clinic_today(medicare_patient.clinic)
                          - timedelta(days=7))
    visit(medicare_patient, past)  # visit 13, last week, with no ABN: GZ
    # Recorded now for last week's visit: not an advance notice, the visit stays GZ.
    Abn.objects.create(patient=medicare_patient.patient, visit_date=past,
                       reason="late", signature_name="Alice Archer")
    line = superbill.build(patient=medicare_patient.patient, start=past, end=past).lines[0]
    assert line.modifiers == ("GZ",)


def test_only_option_1_gives_ga_and_option_2_holds_the_claim(medicare_patient):
    today = over_the_limit(medicare_patient)
    visit(medicare_patient, today)
    Abn.objects.create(patient=medicare_patient.patient, visit_date=today, option=3,
                       reason="r", signature_name="Alice Archer")
    bill = superbill.build(patient=medicare_patient.patient, start=today, end=today)
    assert bill.lines[0].modifiers == ("GZ",)
    Abn.objects.create(patient=medicare_patient.patient, visit_date=today, option=2,
                       reason="r", signature_name="Alice Archer")
    line = superbill.build(patient=medicare_patient.patient, start=today, end=today).lines[0]
    assert line.held and any("option 2" in r for r in line.reasons)
    Abn.objects.create(patient=medicare_patient.patient, visit_date=today, option=1,
                       reason="r", signature_name="Alice Archer")
    line = superbill.build(patient=medicare_patient.patient, start=today, end=today).lines[0]
    assert line.modifiers == ("GA",) and not line.held


def test_the_abn_is_prepared_from_the_record_as_a_pdf(medicare_patient, login):
    today = over_the_limit(medicare_patient)
    desk = login(medicare_patient.front_desk)
    url = reverse("abn_prepare", args=[medicare_patient.patient.pk])
    page = desk.get(url, {"on": today.isoformat()})
    assert page.status_code == 200
    notice = page.context["notice"]
    assert notice.estimated_cost == Decimal("80.00")  # 97810 from the fee schedule
    assert any("visit 13" in r for r in notice.reasons)
    html = page.content.decode()
    assert "CMS-R-131" in html and medicare_patient.patient.family_name in html
    assert "1EG4TE5MK73" not in html  # the Medicare number never goes on the notice
    pdf = desk.get(url, {"on": today.isoformat(), "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="billing.abn_prepare").exists()


def test_no_abn_is_prepared_for_a_visit_expected_to_be_covered(medicare_patient, login):
    response = login(medicare_patient.front_desk).get(
        reverse("abn_prepare", args=[medicare_patient.patient.pk]),
        {"on": clinic_today(medicare_patient.clinic).isoformat()})
    assert response.status_code == 200 and response.context["notice"] is None


def test_a_signed_abn_is_recorded_on_screen_or_scanned_and_ga_follows(medicare_patient, login):
    today = over_the_limit(medicare_patient)
    desk = login(medicare_patient.front_desk)
    url = reverse("abn_record", args=[medicare_patient.patient.pk])
    assert coverage_status(patient=medicare_patient.patient, on=today).modifiers == ("GZ",)
    response = desk.post(url, {"visit_date": today.isoformat(), "option": "1",
                               "how": "on_screen", "signature_name": "",
                               "signed_on": today.isoformat()})
    assert response.status_code == 400 and "signature_name" in response.context["form"].errors
    response = desk.post(url, {"visit_date": today.isoformat(), "option": "1",
                               "how": "scanned", "signature_name": "Alice Archer",
                               "signed_on": today.isoformat()})
    assert response.status_code == 400 and "scan" in response.context["form"].errors
    late = desk.post(url, {"visit_date": (today - timedelta(days=1)).isoformat(),
                           "option": "1", "how": "on_screen", "signature_name": "Alice Archer",
                           "signed_on": today.isoformat()})
    assert late.status_code == 400 and "signed_on" in late.context["form"].errors
    scan = SimpleUploadedFile("abn.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    response = desk.post(url, {"visit_date": today.isoformat(), "option": "1",
                               "how": "scanned", "signature_name": "Alice Archer",
                               "signed_on": today.isoformat(), "scan": scan})
    assert response.status_code == 302
    abn = Abn.objects.get()
    assert abn.signed_on == today and abn.scan and abn.reason
    assert coverage_status(patient=medicare_patient.patient, on=today).modifiers == ("GA",)
    assert AuditEvent.objects.filter(action="billing.abn_record").exists()


def test_the_chart_offers_the_abn_when_the_next_visit_is_expected_to_be_denied(
        medicare_patient, login):
    chart = reverse("patient_chart", args=[medicare_patient.patient.pk])
    abn_link = reverse("abn_prepare", args=[medicare_patient.patient.pk])
    desk = login(medicare_patient.front_desk)
    assert abn_link not in desk.get(chart).content.decode()
    over_the_limit(medicare_patient)
    assert abn_link in desk.get(chart).content.decode()


def test_the_patient_invoice_follows_who_pays(medicare_patient):
    """Covered or GZ: billed to Medicare (the patient owes the co-pay); ABN option 2
    (do not bill Medicare): the patient pays the fee."""
    from acuback.billing import services
    from acuback.billing.models import CoveragePlan
    from tests.factories import request_for

    CoveragePlan.objects.filter(patient=medicare_patient.patient).update(copay="15.00")
    today = over_the_limit(medicare_patient)
    visit(medicare_patient, today)
    desk = request_for(medicare_patient.front_desk)
    first = today - timedelta(days=84)
    assert services.invoice_issue(patient=medicare_patient.patient, day=first,
                                  request=desk).total == Decimal("15.00")
    Abn.objects.create(patient=medicare_patient.patient, visit_date=today, option=2,
                       reason="r", signature_name="Alice Archer")
    assert services.invoice_issue(patient=medicare_patient.patient, day=today,
                                  request=desk).total == Decimal("80.00")
