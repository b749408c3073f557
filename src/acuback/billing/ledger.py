"""A patient's account and the front desk's takings, read in SQL (issue #29 §4).

Sums are the database's (Decimal columns, SUM); a page reads a fixed number of queries
whatever the number of invoices and payments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from acuback.accounts import zones
from acuback.patients.models import Patient
from acuback.scheduling.selectors import day_bounds

from .models import Invoice, Payment, PaymentMethod, PrepaidPackage

ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=12, decimal_places=2))
CENT = Decimal("0.01")


def cents(value) -> Decimal:
    """A sum from the database, to the cent. SQLite sums decimal columns in floating
    point (Django hands back Decimal("-9067.75999999999") for -9067.76); the exact
    amounts have two places, so rounding to the cent gives the exact sum back."""
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def paid(patient) -> Decimal:
    """What the patient has paid, less refunds."""
    return cents(Payment.objects.filter(patient=patient).aggregate(s=Sum("amount"))["s"])


def paid_by_method(patient, invoice=None) -> dict[str, Decimal]:
    """What the patient has paid, less refunds, per method; against `invoice` when
    given (one query)."""
    payments = Payment.objects.filter(patient=patient)
    if invoice is not None:
        payments = payments.filter(invoice=invoice)
    return {row["method"]: cents(row["s"]) for row in
            payments.values("method").annotate(s=Sum("amount")).order_by()}


def balance(patient) -> Decimal:
    """What the patient owes (negative: in credit): live invoices less payments and
    refunds, in one query."""
    invoiced = (Invoice.objects.filter(patient=patient, void__isnull=True)
                .values("patient").annotate(s=Sum("total")).values("s"))
    payments = (Payment.objects.filter(patient=patient).values("patient")
            .annotate(s=Sum("amount")).values("s"))
    return cents(Patient.objects.filter(pk=patient.pk).annotate(
        owed=Coalesce(Subquery(invoiced), ZERO) - Coalesce(Subquery(payments), ZERO)
    ).values_list("owed", flat=True).get())


def invoices_with_payments(patient, pk: int | None = None) -> list[Invoice]:
    """The patient's invoices (or the one `pk`), newest first, each with `paid` (payments
    less refunds against it), `outstanding` (nothing for a void one) and `status` (one
    query, with its lines prefetched: two)."""
    against = (Payment.objects.filter(invoice=OuterRef("pk")).values("invoice")
               .annotate(s=Sum("amount")).values("s"))
    chosen = Invoice.objects.filter(patient=patient)
    if pk is not None:
        chosen = chosen.filter(pk=pk)
    invoices = list(chosen.select_related("void").prefetch_related("lines")
                    .annotate(paid_sum=Subquery(against)))
    for invoice in invoices:
        invoice.paid = cents(invoice.paid_sum)
        is_void = hasattr(invoice, "void")
        invoice.outstanding = Decimal(0) if is_void else max(invoice.total - invoice.paid,
                                                             Decimal(0))
        invoice.status = ("void" if is_void else "paid" if invoice.outstanding == 0
                          else "partly paid" if invoice.paid > 0 else "to pay")
    return invoices


def packages_with_visits_left(patient) -> list[PrepaidPackage]:
    """The patient's packages, oldest first, each with `left`: its visits less the live
    invoices drawn from it, none when its sale is void (`is_void`; one query)."""
    return list(PrepaidPackage.objects.filter(patient=patient).annotate(
        is_void=Q(sale__void__isnull=False),
        left=Case(When(sale__void__isnull=False, then=Value(0)),
                  default=F("visits") - Count("visits_drawn",
                                              filter=Q(visits_drawn__void__isnull=True))))
        .order_by("sold_at", "pk"))


@dataclass
class Takings:
    day: date
    zone: str
    by_method: list[tuple[str, int, Decimal]]  # label, count, sum
    total: Decimal
    payments: list[Payment]


def takings(clinic, day: date) -> Takings:
    """Payments and refunds received on the clinic's `day` (its time zone, its midnight
    to midnight), per method and in all, in two queries."""
    start, end = day_bounds(day, zones.zone_of(clinic))
    received = Payment.objects.filter(clinic=clinic, received_at__gte=start,
                                      received_at__lt=end)
    sums = {row["method"]: (row["n"], cents(row["s"])) for row in
            received.values("method").annotate(n=Count("pk"), s=Sum("amount")).order_by()}
    by_method = [(label, *sums.get(value, (0, Decimal(0))))
                 for value, label in PaymentMethod.choices]
    payments = list(received.select_related("patient", "invoice").order_by("received_at",
                                                                           "pk"))
    return Takings(day, clinic.time_zone, by_method,
                   sum((s for _, _, s in by_method), Decimal(0)), payments)


@dataclass
class Statement:
    opening: Decimal
    entries: list[tuple[datetime, str, Decimal]]  # when, what, amount (+ owed, - paid)
    closing: Decimal


def statement(patient, start: date, end: date) -> Statement:
    """The account between the clinic's `start` and `end` days: the balance before, each
    invoice issued and each void made (the invoice, then its void taking it off: a void
    invoice's payments stay, so the statement adds up), each payment or refund, and the
    balance after (four queries)."""
    zone = zones.zone_of(patient.clinic)
    since, until = day_bounds(start, zone)[0], day_bounds(end, zone)[1]
    invoices = Invoice.objects.filter(patient=patient)
    payments = Payment.objects.filter(patient=patient)
    earlier = invoices.aggregate(issued=Sum("total", filter=Q(issued_at__lt=since)),
                                 voided=Sum("total", filter=Q(void__voided_at__lt=since)))
    before = (cents(earlier["issued"]) - cents(earlier["voided"])
              - cents(payments.filter(received_at__lt=since).aggregate(
                  s=Sum("amount"))["s"]))
    entries = []
    for i in invoices.select_related("void").filter(
            Q(issued_at__gte=since, issued_at__lt=until)
            | Q(void__voided_at__gte=since, void__voided_at__lt=until)):
        visit = f" · visit {i.date_of_service:%Y-%m-%d}" if i.date_of_service else ""
        if since <= i.issued_at < until:
            entries.append((i.issued_at, f"Invoice {i.number}{visit}", i.total))
        void = getattr(i, "void", None)
        if void is not None and since <= void.voided_at < until:
            entries.append((void.voided_at, f"Void of invoice {i.number} ({void.reason})"
                            f"{visit}", -i.total))
    entries += [(p.received_at, f"{'Refund' if p.amount < 0 else 'Payment'} {p.number} "
                 f"({p.get_method_display()})", -p.amount)
                for p in payments.filter(received_at__gte=since, received_at__lt=until)]
    entries.sort(key=lambda e: e[0])
    return Statement(before, entries, before + sum((e[2] for e in entries), Decimal(0)))
