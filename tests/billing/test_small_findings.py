"""A biller's small findings (issue #29): PDFs without the page's skip link, a discount
larger than the invoice refused, "1 visit", option 3 for a date already treated said
plainly, money with its currency."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from acuback.accounts.zones import today_at
from acuback.billing import services
from acuback.billing.models import Invoice
from tests.billing import test_patients_who_pay as who_pays
from tests.billing.test_patients_who_pay import DAY, issue, pay

paying = who_pays.paying  # the same fixture: a self-pay patient with a visit on DAY


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_no_pdf_prints_the_pages_skip_link(paying, login):
    desk = login(paying.front_desk)
    invoice = issue(paying)
    payment = pay(paying, "80.00", invoice=invoice)
    pk = paying.patient.pk
    period = f"from={DAY - timedelta(days=5)}&to={today_at(paying.clinic)}"
    for url in (reverse("invoice_document", args=[pk, invoice.pk]) + "?format=pdf",
                reverse("payment_receipt", args=[pk, payment.pk]) + "?format=pdf",
                reverse("patient_statement", args=[pk]) + f"?{period}&format=pdf",
                reverse("patient_superbill", args=[pk]) + f"?{period}&format=pdf"):
        text = pdf_text(desk.get(url))
        assert paying.patient.family_name in text
        assert "Skip to" not in text, url


def test_a_discount_larger_than_the_invoice_is_refused_by_name(paying):
    with pytest.raises(ValidationError) as refused:
        issue(paying, discount=Decimal("500"), discount_reason="hardship")
    assert "80.00" in refused.value.message_dict["discount"][0]
    assert not Invoice.objects.exists()
    assert issue(paying, discount=Decimal("80.00"), discount_reason="hardship").total == 0


def test_one_visit_is_one_visit(paying, login):
    sale = services.package_sell(patient=paying.patient, visits=1, price=Decimal("70.00"),
                                 request=paying.desk)
    assert [line.description for line in sale.lines.all()] == ["Prepaid package of 1 visit"]
    assert str(sale.sells) == "Package of 1 visit"
    page = login(paying.front_desk).get(reverse("patient_account", args=[paying.patient.pk]))
    assert "1 visits" not in page.content.decode()


def test_option_3_for_a_date_already_treated_is_said_plainly(medicare_patient, login):
    from acuback.billing.models import Abn
    from tests.billing.conftest import visit
    from tests.billing.test_abn import over_the_limit

    day = over_the_limit(medicare_patient)
    visit(medicare_patient, day)      # visit 13, given and signed
    desk = login(medicare_patient.front_desk)
    response = desk.post(reverse("abn_record", args=[medicare_patient.patient.pk]), {
        "visit_date": day.isoformat(), "option": 3, "how": "on_screen",
        "signature_name": "Alice Archer", "signed_on": day.isoformat()}, follow=True)
    assert Abn.objects.filter(option=3).exists()
    said = [str(m) for m in response.context["messages"]]
    assert any("option 3" in m.lower() and "signed" in m and "GZ" in m for m in said), said


def test_money_carries_its_currency(paying, login):
    desk = login(paying.front_desk)
    invoice = issue(paying)
    payment = pay(paying, "30.00", invoice=invoice)
    pk = paying.patient.pk
    period = f"?from={DAY - timedelta(days=5)}&to={today_at(paying.clinic)}"
    pages = {reverse("invoice_document", args=[pk, invoice.pk]): ("$80.00", "$30.00", "$50.00"),
             reverse("payment_receipt", args=[pk, payment.pk]): ("$30.00",),
             reverse("patient_statement", args=[pk]) + period: ("$80.00", "-$30.00",
                                                                "Balance due $50.00"),
             reverse("patient_account", args=[pk]): ("Balance due $50.00", "$80.00"),
             reverse("patient_superbill", args=[pk]) + period: ("$80.00",),
             reverse("takings_report"): ("$30.00",)}
    for url, amounts in pages.items():
        words = " ".join(re.sub(r"<[^>]+>", " ", desk.get(url).content.decode()).split())
        for amount in amounts:
            assert amount in words, (url, amount)
