"""Patients who pay (issue #29 §4): invoices per date of service from the fee schedule
(co-pay, discount, prepaid package), payments and refunds with no card data, receipts
and statements as PDFs, the balance in SQL, and the front desk's takings for the
clinic's own day. Money is written once: void and reissue, refund."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuback.accounts.zones import today_at
from acuback.audit.models import AuditEvent
from acuback.billing import ledger, services
from acuback.billing.models import (
    CoveragePlan,
    FeeSchedule,
    Invoice,
    InvoiceLine,
    Payer,
    Payment,
)
from tests.factories import make_episode, make_signed_visit, request_for

DAY = date(2026, 11, 2)


@pytest.fixture
def paying(world):
    """A self-pay patient with a signed 20-minute visit (97810) on DAY."""
    for code, amount in (("97810", "80.00"), ("97811", "40.00"), ("97813", "90.00"),
                         ("97814", "45.00")):
        FeeSchedule.objects.create(clinic=world.clinic, code=code, amount=amount)
    world.episode = make_episode(world.patient, world.practitioner,
                                 onset_date=DAY - timedelta(weeks=20),
                                 diagnosis_codes=["M54.50"])
    world.visit = lambda day, **kw: make_signed_visit(
        world.patient, world.practitioner_record, world.location, episode=world.episode,
        day=day, **kw)
    world.visit(DAY)
    world.desk = request_for(world.front_desk)
    return world


def issue(w, day=DAY, **kw):
    return services.invoice_issue(patient=w.patient, day=day, request=w.desk, **kw)


def pay(w, amount, method="card", **kw):
    return services.payment_record(patient=w.patient, amount=Decimal(amount), method=method,
                                   request=w.desk, **kw)


def test_a_self_pay_visit_is_invoiced_at_the_fee_schedule(paying):
    paying.visit(DAY + timedelta(days=1), sets=((20, True), (20, True)))
    assert issue(paying).total == Decimal("80.00")
    second = issue(paying, DAY + timedelta(days=1))
    assert [(line.code, line.units, line.amount) for line in second.lines.all()] == [
        ("97813", 1, Decimal("90.00")), ("97814", 1, Decimal("45.00"))]
    assert second.total == Decimal("135.00")
    assert AuditEvent.objects.filter(action="billing.invoice_issue",
                                     patient=paying.patient).count() == 2


def test_with_a_plan_the_patient_owes_the_copay(paying):
    payer = Payer.objects.create(clinic=paying.clinic, name="Acme Health", kind="commercial")
    CoveragePlan.objects.create(patient=paying.patient, payer=payer, copay=Decimal("25.00"),
                                effective_from=DAY - timedelta(days=30))
    invoice = issue(paying)
    assert invoice.total == Decimal("25.00")
    assert [line.amount for line in invoice.lines.all()] == [Decimal("80.00"),
                                                             Decimal("-55.00")]


def test_a_discount_needs_its_reason_and_never_goes_below_zero(paying):
    with pytest.raises(ValidationError) as refused:
        issue(paying, discount=Decimal("10"))
    assert "discount_reason" in refused.value.message_dict
    assert not Invoice.objects.exists()
    assert issue(paying, discount=Decimal("80"), discount_reason="hardship").total == 0


def test_a_date_without_a_signed_visit_or_without_a_fee_is_refused_by_name(paying):
    with pytest.raises(ValidationError) as refused:
        issue(paying, DAY + timedelta(days=3))
    assert "No signed session" in refused.value.message_dict["date_of_service"][0]
    FeeSchedule.objects.filter(code="97810").delete()
    with pytest.raises(ValidationError) as refused:
        issue(paying)
    assert "97810" in refused.value.message_dict["date_of_service"][0]
    assert not Invoice.objects.exists()


def test_one_live_invoice_per_date_and_a_void_lets_it_be_reissued(paying):
    first = issue(paying)
    with pytest.raises(ValidationError) as refused:
        issue(paying)
    assert first.number in refused.value.message_dict["date_of_service"][0]
    with pytest.raises(ValidationError):
        services.invoice_void(invoice=first, reason="  ", request=paying.desk)
    services.invoice_void(invoice=first, reason="wrong discount", request=paying.desk)
    again = issue(paying, discount=Decimal("5"), discount_reason="loyalty")
    assert again.replaces == first and again.total == Decimal("75.00")
    assert ledger.balance(paying.patient) == Decimal("75.00")  # the void no longer counts
    assert AuditEvent.objects.filter(action="billing.invoice_void").count() == 1


def test_invoices_and_payments_are_never_changed_or_deleted(paying):
    invoice = issue(paying)
    payment = pay(paying, "80.00", invoice=invoice)
    for row in (invoice, invoice.lines.first(), payment):
        with pytest.raises(DatabaseError), transaction.atomic():
            type(row).objects.filter(pk=row.pk).update(id=row.pk)
        with pytest.raises(DatabaseError), transaction.atomic():
            type(row).objects.filter(pk=row.pk).delete()
    assert Invoice.objects.get().total == Decimal("80.00")


def test_a_package_is_drawn_down_by_visits_and_a_void_gives_the_visit_back(paying):
    sale = services.package_sell(patient=paying.patient, visits=6, price=Decimal("420.00"),
                                 request=paying.desk)
    assert sale.total == Decimal("420.00")
    visit = issue(paying)
    assert visit.total == 0 and visit.drawn_from == sale.sells
    assert [p.left for p in ledger.packages_with_visits_left(paying.patient)] == [5]
    services.invoice_void(invoice=visit, reason="entered twice", request=paying.desk)
    assert [p.left for p in ledger.packages_with_visits_left(paying.patient)] == [6]
    assert issue(paying, use_package=False).total == Decimal("80.00")


def test_a_used_up_package_is_not_drawn_from(paying):
    services.package_sell(patient=paying.patient, visits=1, price=Decimal("70.00"),
                          request=paying.desk)
    paying.visit(DAY + timedelta(days=7))
    assert issue(paying).total == 0
    assert issue(paying, DAY + timedelta(days=7)).total == Decimal("80.00")


def test_payments_keep_no_card_data_and_refunds_need_a_reason(paying):
    with pytest.raises(ValidationError) as refused:
        pay(paying, "80", external_reference="4111 1111 1111 1111")
    assert "external_reference" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        pay(paying, "0")
    assert "amount" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        pay(paying, "80", method="bitcoin")
    assert "method" in refused.value.message_dict
    pay(paying, "80", external_reference="TERM-0042-AUTH 8812")
    with pytest.raises(ValidationError) as refused:
        pay(paying, "-20")
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        pay(paying, "-100", reason="overpaid")
    assert "amount" in refused.value.message_dict
    pay(paying, "-20", reason="session cut short")
    assert Payment.objects.count() == 2


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2),
                min_size=1, max_size=5))
def test_the_balance_is_invoices_less_payments_to_the_cent(paying, amounts):
    start = ledger.balance(paying.patient)
    for amount in amounts:
        pay(paying, amount, method="cash")
    assert ledger.balance(paying.patient) == start - sum(amounts)


def test_the_takings_are_the_clinics_own_day(paying):
    zone = ZoneInfo(paying.clinic.time_zone)
    late = datetime(2026, 11, 2, 23, 30, tzinfo=zone)
    assert late.astimezone(ZoneInfo("UTC")).date() == date(2026, 11, 3)  # the server's day
    early = datetime(2026, 11, 3, 0, 10, tzinfo=zone)
    for when, amount, method in ((late, "80.00", "card"), (early, "50.00", "cash"),
                                 (late - timedelta(hours=2), "-10.00", "card")):
        Payment.objects.create(clinic=paying.clinic, patient=paying.patient, method=method,
                               amount=Decimal(amount), received_at=when,
                               reason="" if amount[0] != "-" else "refund")
    day = ledger.takings(paying.clinic, date(2026, 11, 2))
    assert day.total == Decimal("70.00")
    assert ("Card", 2, Decimal("70.00")) in day.by_method
    assert ledger.takings(paying.clinic, date(2026, 11, 3)).total == Decimal("50.00")


def test_the_pages_default_to_the_clinics_today_not_the_servers(paying, login):
    """The tests run the server in a zone far from the clinic's (its day differs for
    much of the day): every default day is the clinic's."""
    from acuback.accounts.zones import today_at

    today = today_at(paying.clinic)
    desk = login(paying.front_desk)
    takings = desk.get(reverse("takings_report")).context["report"]
    assert takings.day == today
    for name in ("patient_statement", "patient_superbill"):
        page = desk.get(reverse(name, args=[paying.patient.pk])).context
        assert page["end"] == today, name
    account = desk.get(reverse("patient_account", args=[paying.patient.pk])).context
    assert account["issue_form"].initial["date_of_service"] == today


# Pages


def test_the_front_desk_invoices_takes_payment_and_prints_receipt_and_statement(paying, login):
    desk = login(paying.front_desk)
    account = reverse("patient_account", args=[paying.patient.pk])
    assert desk.get(account).status_code == 200
    assert desk.post(reverse("invoice_issue", args=[paying.patient.pk]),
                     {"date_of_service": DAY.isoformat(), "use_package": "on"}).status_code == 302
    invoice = Invoice.objects.get()
    response = desk.post(reverse("payment_record", args=[paying.patient.pk]),
                         {"amount": "80.00", "method": "hsa_fsa",
                          "external_reference": "HSA-77", "invoice": invoice.pk})
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.invoice == invoice and payment.recorded_by == paying.front_desk
    page = desk.get(account)
    assert page.context["balance"] == 0
    for url in (reverse("payment_receipt", args=[paying.patient.pk, payment.pk]),
                reverse("invoice_document", args=[paying.patient.pk, invoice.pk]),
                reverse("patient_statement", args=[paying.patient.pk])
                + f"?from={DAY - timedelta(days=40)}&to={today_at(paying.clinic)}"):
        html = desk.get(url)
        assert html.status_code == 200
        pdf = desk.get(url + ("&" if "?" in url else "?") + "format=pdf")
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    statement = desk.get(reverse("patient_statement", args=[paying.patient.pk])
                         + f"?from={today_at(paying.clinic) - timedelta(days=1)}").context
    assert statement["statement"].closing == 0
    assert AuditEvent.objects.filter(action="billing.receipt").exists()


def test_a_bad_payment_comes_back_naming_the_field(paying, login):
    response = login(paying.front_desk).post(
        reverse("payment_record", args=[paying.patient.pk]),
        {"amount": "30", "method": "card", "external_reference": "5500-0000-0000-0004"})
    assert response.status_code == 400
    assert "external_reference" in response.context["payment_form"].errors
    response = login(paying.front_desk).post(
        reverse("invoice_issue", args=[paying.patient.pk]),
        {"date_of_service": (DAY + timedelta(days=2)).isoformat()})
    assert response.status_code == 400
    assert "date_of_service" in response.context["issue_form"].errors
    assert not Payment.objects.exists() and not Invoice.objects.exists()


@pytest.mark.parametrize("role", ["practitioner", "patient"])
def test_only_the_roles_that_take_payments_write(paying, login, role):
    response = login(paying.user_for(role)).post(
        reverse("payment_record", args=[paying.patient.pk]),
        {"amount": "30", "method": "cash"})
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_the_takings_page_is_in_the_front_desks_billing_navigation(paying, login):
    desk = login(paying.front_desk)
    assert f'href="{reverse("billing_home")}"' in desk.get(reverse("home")).content.decode()
    home = desk.get(reverse("billing_home")).content.decode()
    assert f'href="{reverse("takings_report")}"' in home
    assert reverse("claim_export") not in home  # the claims stay the admin's
    pay(paying, "80.00")
    report = desk.get(reverse("takings_report")).context["report"]
    assert report.total == Decimal("80.00") and len(report.payments) == 1
    assert login(paying.practitioner).get(reverse("takings_report")).status_code == 403


def test_the_account_page_reads_a_fixed_number_of_queries(paying, login,
                                                          django_assert_max_num_queries):
    desk = login(paying.front_desk)
    url = reverse("patient_account", args=[paying.patient.pk])
    issue(paying)
    pay(paying, "10")
    desk.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        desk.get(url)
    for n in range(1, 6):
        paying.visit(DAY + timedelta(days=n))
        issue(paying, DAY + timedelta(days=n))
        pay(paying, "10")
    services.package_sell(patient=paying.patient, visits=6, price=Decimal(1),
                          request=paying.desk)
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        desk.get(url)
    assert InvoiceLine.objects.count() >= 7


def test_the_takings_and_statement_pages_read_a_fixed_number_of_queries(
        paying, login, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    desk = login(paying.front_desk)
    pages = (reverse("takings_report"), reverse("patient_statement", args=[paying.patient.pk]))
    issue(paying)
    pay(paying, "10")
    counts = []
    for url in pages:
        desk.get(url)
        with CaptureQueriesContext(connection) as few:
            desk.get(url)
        counts.append(len(few.captured_queries))
    for n in range(1, 6):
        paying.visit(DAY + timedelta(days=n))
        issue(paying, DAY + timedelta(days=n))
        pay(paying, "10", method=["cash", "card", "cheque", "hsa_fsa"][n % 4])
    for url, count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            desk.get(url)
