"""A biller's findings on patients who pay (issue #29 §4): what a void takes away (a
package's visits, payments against it), refunds capped at what was paid where and how,
the desk linking a payment to an invoice, statements that add up."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuback.accounts.zones import today_at
from acuback.billing import ledger, services
from acuback.billing.models import Invoice, Payment
from tests.billing import test_patients_who_pay as who_pays
from tests.billing.test_patients_who_pay import DAY, issue, pay

paying = who_pays.paying  # the same fixture: a self-pay patient with a visit on DAY


def text(response) -> str:
    """A page's words, one space between them (cells and tags apart)."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def sell(w, visits=6, price="450.00"):
    return services.package_sell(patient=w.patient, visits=visits, price=Decimal(price),
                                 request=w.desk)


def void(w, invoice, reason="entered in error"):
    return services.invoice_void(invoice=invoice, reason=reason, request=w.desk)


# 1. A package whose sale is voided is void too.


def test_a_package_whose_sale_is_voided_gives_no_visit(paying):
    sale = sell(paying)
    void(paying, sale)
    assert [p.left for p in ledger.packages_with_visits_left(paying.patient)] == [0]
    assert issue(paying).total == Decimal("80.00")


def test_a_package_sale_is_not_voided_while_visits_are_drawn_from_it(paying):
    sale = sell(paying)
    visit = issue(paying)
    assert visit.drawn_from == sale.sells
    with pytest.raises(ValidationError) as refused:
        void(paying, sale)
    assert visit.number in refused.value.message_dict["reason"][0]
    assert not Invoice.objects.filter(void__isnull=False).exists()
    void(paying, visit)          # the draws' invoices first, then the sale
    void(paying, sale)
    again = issue(paying)
    assert again.drawn_from is None and again.total == Decimal("80.00")


# 2. A refund is capped at what was paid against that invoice, by that method.


def test_a_refund_against_an_invoice_is_capped_at_what_was_paid_against_it(paying):
    invoice = issue(paying)
    pay(paying, "500.00", method="cash")            # on account, not against the invoice
    pay(paying, "85.00", invoice=invoice)           # card
    with pytest.raises(ValidationError) as refused:
        pay(paying, "-100", reason="overpaid", invoice=invoice)
    assert "85.00" in refused.value.message_dict["amount"][0]
    pay(paying, "-20", reason="overpaid", invoice=invoice)
    with pytest.raises(ValidationError) as refused:
        pay(paying, "-66", reason="overpaid", invoice=invoice)
    assert "65.00" in refused.value.message_dict["amount"][0]
    assert Payment.objects.filter(invoice=invoice).count() == 2


def test_a_refund_goes_back_by_the_method_that_paid(paying):
    invoice = issue(paying)
    pay(paying, "80.00", invoice=invoice)           # card
    pay(paying, "30.00", method="cash")
    with pytest.raises(ValidationError) as refused:
        pay(paying, "-10", method="cash", reason="overpaid", invoice=invoice)
    assert "method" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        pay(paying, "-31", method="cash", reason="overpaid")
    assert "30.00" in refused.value.message_dict["amount"][0]
    pay(paying, "-30", method="cash", reason="overpaid")
    pay(paying, "-10", method="card", reason="overpaid", invoice=invoice)
    assert ledger.paid(paying.patient) == Decimal("70.00")


# 3. Nothing is paid against a void invoice.


def test_no_payment_against_a_void_invoice(paying):
    invoice = issue(paying)
    pay(paying, "40.00", invoice=invoice)
    void(paying, invoice)
    with pytest.raises(ValidationError) as refused:
        pay(paying, "80.00", invoice=invoice)
    assert "void" in refused.value.message_dict["invoice"][0]
    # What was paid against it can still go back.
    pay(paying, "-40.00", reason="invoice voided", invoice=invoice)
    assert Payment.objects.filter(invoice=invoice).count() == 2


def test_the_desk_cannot_pay_a_void_invoice_from_the_page(paying, login):
    invoice = issue(paying)
    void(paying, invoice)
    response = login(paying.front_desk).post(
        reverse("payment_record", args=[paying.patient.pk]),
        {"amount": "80.00", "method": "cash", "invoice": invoice.pk})
    assert response.status_code == 400
    assert "invoice" in response.context["payment_form"].errors
    assert not Payment.objects.exists()


# 4. The desk links a payment to an invoice, and sees what each invoice has had.


def test_the_desk_picks_the_invoice_and_sees_paid_and_outstanding(paying, login):
    desk = login(paying.front_desk)
    account = reverse("patient_account", args=[paying.patient.pk])
    invoice = issue(paying)
    page = desk.get(account)
    html = page.content.decode()
    assert f'<option value="{invoice.pk}"' in html          # a choice, not a hidden field
    response = desk.post(reverse("payment_record", args=[paying.patient.pk]),
                         {"amount": "30.00", "method": "cash", "invoice": str(invoice.pk)})
    assert response.status_code == 302
    assert Payment.objects.get().invoice == invoice
    row = next(i for i in desk.get(account).context["invoices"] if i.pk == invoice.pk)
    assert (row.paid, row.outstanding, row.status) == (Decimal("30.00"), Decimal("50.00"),
                                                       "partly paid")
    assert "partly paid" in desk.get(account).content.decode()
    pay(paying, "50.00", invoice=invoice)
    row = next(i for i in desk.get(account).context["invoices"] if i.pk == invoice.pk)
    assert (row.paid, row.outstanding, row.status) == (Decimal("80.00"), 0, "paid")
    # A paid invoice stays offered (for a refund), a void one with nothing paid is not.
    assert f'<option value="{invoice.pk}">{invoice.number}' in desk.get(account).content.decode()
    paying.visit(DAY + timedelta(days=1))
    other = issue(paying, DAY + timedelta(days=1))
    void(paying, other)
    assert f'<option value="{other.pk}"' not in desk.get(account).content.decode()


# 5. Statements add up, a credit reads as one, a void invoice asks for nothing.


def test_a_statement_shows_a_void_beside_its_invoice_and_adds_up(paying):
    today = today_at(paying.clinic)
    invoice = issue(paying)
    pay(paying, "80.00", invoice=invoice)
    void(paying, invoice, reason="wrong date")
    sheet = ledger.statement(paying.patient, today - timedelta(days=1), today)
    amounts = {what.split(" ·")[0]: amount for _, what, amount in sheet.entries}
    assert amounts[f"Invoice {invoice.number}"] == Decimal("80.00")
    assert amounts[f"Void of invoice {invoice.number} (wrong date)"] == Decimal("-80.00")
    assert sheet.closing == ledger.balance(paying.patient) == Decimal("-80.00")
    assert sheet.opening + sum(a for _, _, a in sheet.entries) == sheet.closing
    # A period after the void: it is in the balance brought forward, netted out.
    later = ledger.statement(paying.patient, today + timedelta(days=1), today + timedelta(days=2))
    assert later.opening == later.closing == Decimal("-80.00") and not later.entries


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), st.decimals(min_value=Decimal("0.01"),
                                                     max_value=Decimal("500"), places=2)),
                min_size=1, max_size=4))
def test_every_statement_closes_on_the_balance(paying, steps):
    today = today_at(paying.clinic)
    for voided, amount in steps:
        day = DAY + timedelta(days=100 + Invoice.objects.count())
        paying.visit(day)
        invoice = issue(paying, day)
        pay(paying, amount, method="cash", invoice=invoice)
        if voided:
            void(paying, invoice)
    sheet = ledger.statement(paying.patient, today - timedelta(days=1), today)
    assert sheet.closing == ledger.balance(paying.patient)
    assert sheet.opening + sum(a for _, _, a in sheet.entries) == sheet.closing


def test_a_credit_reads_as_a_credit_and_a_void_invoice_asks_for_nothing(paying, login):
    desk = login(paying.front_desk)
    invoice = issue(paying, discount=Decimal("5"), discount_reason="loyalty")
    pay(paying, "1040.00", method="cash")
    void(paying, invoice)
    statement = text(desk.get(reverse("patient_statement", args=[paying.patient.pk])))
    assert "In credit $1040.00" in statement and "Balance due -$1040.00" not in statement
    account = text(desk.get(reverse("patient_account", args=[paying.patient.pk])))
    assert "In credit $1040.00" in account and "-1040.00" not in account.split("Invoices")[0]
    page = text(desk.get(reverse("invoice_document", args=[paying.patient.pk, invoice.pk])))
    assert "To pay $75.00" not in page and "To pay 75.00" not in page and "Void: nothing to pay" in page
