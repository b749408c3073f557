"""Billing writes: the clinic's fee schedule; patients' invoices, payments and packages."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.template.defaultfilters import pluralize
from django.utils import timezone

from acuback.accounts import zones
from acuback.audit.services import audit_record
from acuback.clinical import cpt
from acuback.patients.models import Patient

from . import ledger
from .models import (
    Abn,
    AbnScan,
    AbnSignedHow,
    CoveragePlan,
    FeeSchedule,
    Invoice,
    InvoiceLine,
    InvoiceVoid,
    Payer,
    PayerKind,
    Payment,
    PaymentMethod,
    PrepaidPackage,
)


def fee_schedule_save(*, clinic, amounts: dict[str, Decimal | None],
                      request: HttpRequest) -> None:
    """Set the clinic's fee for each code (None: no fee for that code), all or nothing."""
    with transaction.atomic():
        current = {f.code: f for f in FeeSchedule.objects.select_for_update()
                   .filter(clinic=clinic)}
        changed = {}
        for code, amount in amounts.items():
            fee = current.get(code)
            if amount is None:
                if fee is not None:
                    fee.delete()  # a price, not clinical data
                    changed[code] = None
            elif fee is None:
                FeeSchedule.objects.create(clinic=clinic, code=code, amount=amount)
                changed[code] = str(amount)
            elif fee.amount != amount:
                fee.amount = amount
                fee.save(update_fields=["amount"])
                changed[code] = str(amount)
        audit_record(request=request, action="billing.fees_save", clinic=clinic,
                     detail={"changed": changed})


# Patients who pay (issue #29 §4): invoices per date of service, payments and refunds,
# prepaid packages. Every write is all or nothing, audited, and never edits a row.

# A run of 12 or more digits (spaces and dashes allowed between them) could be a card
# number: payments keep the method and the terminal's or bank's reference, no card data.
_CARD_LIKE = re.compile(r"(?:\d[ -]?){12,}")


def _lock_patient(patient) -> None:
    """One writer per patient account at a time (two desks issuing the same visit)."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()


def invoice_issue(*, patient, day: date, request: HttpRequest, discount: Decimal = Decimal(0),
                  discount_reason: str = "", use_package: bool = True) -> Invoice:
    """The patient's invoice for one date of service: the date's codes from the signed
    sessions at the fee schedule's prices (docs/billing.md), less the plan's share when a
    plan with a co-pay is in force, a discount, or a visit drawn from a prepaid package."""
    from . import superbill

    if discount < 0:
        raise ValidationError({"discount": "A discount cannot be negative."})
    if discount and not discount_reason.strip():
        raise ValidationError({"discount_reason": "Give the reason for the discount."})
    with transaction.atomic():
        _lock_patient(patient)
        live = Invoice.objects.filter(patient=patient, date_of_service=day,
                                      void__isnull=True).first()
        if live is not None:
            raise ValidationError({"date_of_service": f"{live.number} is already issued for "
                                   f"{day:%Y-%m-%d}: void it to issue another."})
        bill = superbill.build(patient=patient, start=day, end=day)
        if not bill.lines:
            raise ValidationError({"date_of_service": f"No signed session with a billable "
                                   f"code on {day:%Y-%m-%d}."})
        missing = [line.code for line in bill.lines if line.fee is None]
        if missing:
            raise ValidationError({"date_of_service": "No fee in the clinic's fee schedule "
                                   f"for {', '.join(missing)}."})
        lines = [InvoiceLine(code=line.code, units=line.units, amount=line.charge,
                             description=cpt.BILLABLE_CODES.get(line.code, line.code))
                 for line in bill.lines]
        owed = sum((line.amount for line in lines), Decimal(0))
        plan = CoveragePlan.objects.primary_in_force(patient.pk, day)
        if plan is not None and plan.payer.kind != PayerKind.SELF_PAY:
            # The payer's part: every line but those the patient pays in full (GY, or
            # ABN option 2); of it the patient owes the co-pay.
            to_payer = sum((line.charge for line in bill.lines if not line.patient_liable),
                           Decimal(0))
            share = min(plan.copay, to_payer)
            if to_payer:
                lines.append(InvoiceLine(description=f"Billed to {plan.payer} (co-pay "
                                         f"{share})", amount=share - to_payer))
                owed -= to_payer - share
        package = None
        if use_package and owed > 0:
            package = next((p for p in ledger.packages_with_visits_left(patient) if p.left > 0), None)
            if package is not None:
                lines.append(InvoiceLine(description=f"Prepaid package: visit "
                                         f"{package.visits - package.left + 1} of "
                                         f"{package.visits}", amount=-owed))
                owed = Decimal(0)
        if discount > owed:
            # Never cut silently: the desk sees what the patient owes and decides.
            raise ValidationError({"discount": f"The discount ({discount}) is more than the "
                                   f"patient owes for this visit ({owed})."})
        if discount:
            lines.append(InvoiceLine(description=f"Discount: {discount_reason.strip()}",
                                     amount=-discount))
            owed -= discount
        replaced = (Invoice.objects.filter(patient=patient, date_of_service=day,
                                           void__isnull=False, replaced_by__isnull=True)
                    .order_by("-issued_at", "-pk").first())
        invoice = Invoice.objects.create(
            clinic=patient.clinic, patient=patient, date_of_service=day, drawn_from=package,
            replaces=replaced, total=owed, issued_at=timezone.now(), issued_by=request.user)
        for line in lines:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(lines)
        audit_record(request=request, action="billing.invoice_issue", patient=patient,
                     detail={"invoice": invoice.number, "date_of_service": day.isoformat(),
                             "total": str(owed), "package": package.pk if package else None,
                             "replaces": replaced.number if replaced else None})
    return invoice


def invoice_void(*, invoice: Invoice, reason: str, request: HttpRequest) -> InvoiceVoid:
    """Void an issued invoice (it stays on the account, marked void); issue a new one
    for the date to correct it. Payments made against it stay as the patient's credit."""
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for voiding the invoice."})
    with transaction.atomic():
        _lock_patient(invoice.patient)
        if InvoiceVoid.objects.filter(invoice=invoice).exists():
            raise ValidationError({"reason": f"{invoice.number} is already void."})
        if invoice.sells_id is not None:
            # A voided sale voids its package; visits already drawn from it would be
            # left paid by nothing, so their invoices are voided (and reissued) first.
            drawn = [i.number for i in Invoice.objects.filter(
                drawn_from_id=invoice.sells_id, void__isnull=True).order_by("pk")]
            if drawn:
                raise ValidationError({"reason": f"Visits were drawn from this package "
                                       f"({', '.join(drawn)}): void those invoices first."})
        void = InvoiceVoid.objects.create(invoice=invoice, reason=reason.strip(),
                                          voided_at=timezone.now(), voided_by=request.user)
        audit_record(request=request, action="billing.invoice_void", patient=invoice.patient,
                     detail={"invoice": invoice.number, "reason": void.reason})
    return void


def payment_record(*, patient, amount: Decimal, method: str, request: HttpRequest,
                   external_reference: str = "", reason: str = "",
                   invoice: Invoice | None = None) -> Payment:
    """A payment (positive) or a refund (negative, with its reason, no more than the
    patient has paid)."""
    errors = {}
    if amount == 0:
        errors["amount"] = "An amount of zero records nothing."
    if method not in PaymentMethod.values:
        errors["method"] = "Choose cash, card, cheque or HSA/FSA card."
    if _CARD_LIKE.search(external_reference):
        errors["external_reference"] = ("This looks like a card number: record the "
                                        "terminal's or bank's reference, never card data.")
    if amount < 0 and not reason.strip():
        errors["reason"] = "Give the reason for the refund."
    if invoice is not None and invoice.patient_id != patient.pk:
        errors["invoice"] = "That invoice is another patient's."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _lock_patient(patient)
        if amount > 0 and invoice is not None and InvoiceVoid.objects.filter(
                invoice=invoice).exists():
            raise ValidationError({"invoice": f"{invoice.number} is void: nothing more is "
                                   "paid against it."})
        if amount < 0:
            _refund_within_what_was_paid(patient, -amount, method, invoice)
        payment = Payment.objects.create(
            clinic=patient.clinic, patient=patient, invoice=invoice, amount=amount,
            method=method, external_reference=external_reference.strip(),
            reason=reason.strip(), received_at=timezone.now(), recorded_by=request.user)
        audit_record(request=request, action="billing.payment_record", patient=patient,
                     detail={"receipt": payment.number, "amount": str(amount),
                             "method": method,
                             "invoice": invoice.number if invoice else None})
    return payment


def _refund_within_what_was_paid(patient, refund: Decimal, method: str,
                                 invoice: Invoice | None) -> None:
    """A refund goes back by the method that paid (project rule: cash to the hand, card
    to the card) and no further than was paid: against that invoice when it names one,
    and in all (one query)."""
    net = ledger.paid_by_method(patient)
    label = PaymentMethod(method).label
    if invoice is not None:
        on_invoice = ledger.paid_by_method(patient, invoice=invoice)
        if refund > sum(on_invoice.values(), Decimal(0)):
            raise ValidationError({"amount": f"A refund cannot exceed what was paid against "
                                   f"{invoice.number} "
                                   f"({sum(on_invoice.values(), Decimal(0))})."})
        if refund > on_invoice.get(method, Decimal(0)):
            raise ValidationError({"method": f"{invoice.number} was paid "
                                   f"{on_invoice.get(method, Decimal(0))} by {label}: a refund "
                                   "goes back by the method that paid."})
    if refund > sum(net.values(), Decimal(0)):
        raise ValidationError({"amount": f"A refund cannot exceed what the patient has paid "
                               f"({sum(net.values(), Decimal(0))})."})
    if refund > net.get(method, Decimal(0)):
        raise ValidationError({"amount": f"A refund by {label} cannot exceed what the patient "
                               f"has paid by {label} ({net.get(method, Decimal(0))})."})


def package_sell(*, patient, visits: int, price: Decimal, request: HttpRequest) -> Invoice:
    """A prepaid package of visits, and the invoice for its price."""
    errors = {}
    if visits < 1:
        errors["visits"] = "A package holds at least one visit."
    if price < 0:
        errors["price"] = "A price cannot be negative."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _lock_patient(patient)
        now = timezone.now()
        package = PrepaidPackage.objects.create(clinic=patient.clinic, patient=patient,
                                                visits=visits, price=price, sold_at=now)
        invoice = Invoice.objects.create(clinic=patient.clinic, patient=patient, sells=package,
                                         total=price, issued_at=now, issued_by=request.user)
        InvoiceLine.objects.create(invoice=invoice, description=f"Prepaid package of "
                                   f"{visits} visit{pluralize(visits)}", amount=price)
        audit_record(request=request, action="billing.package_sell", patient=patient,
                     detail={"invoice": invoice.number, "visits": visits, "price": str(price)})
    return invoice


_SCAN_TYPES = {b"%PDF": "application/pdf", b"\x89PNG": "image/png",
               b"\xff\xd8\xff": "image/jpeg"}
SCAN_MAX_BYTES = 10 * 1024 * 1024


def abn_record(*, patient, visit_date: date, option: int, how: str, signature_name: str,
               signed_on: date, request: HttpRequest, scan=None) -> Abn:
    """A signed ABN (CMS-R-131), signed on screen (the typed name) or on paper (the scan).
    It is an advance notice: signed on or before the visit's date, never in the future;
    the reason, service and cost are the notice's, from the record."""
    from . import abn as notices

    errors = {}
    if not signature_name.strip():
        errors["signature_name"] = ("Type the name of the patient (or representative) who "
                                    "signed.")
    if signed_on > zones.today_at(patient.clinic):
        errors["signed_on"] = "The day signed cannot be in the future."
    elif signed_on > visit_date:
        errors["signed_on"] = ("An ABN is signed before the service: this date is after the "
                               "visit's, so it cannot stand for that visit.")
    if how == AbnSignedHow.SCANNED:
        if scan is None:
            errors["scan"] = "Attach the scan of the signed paper notice."
        else:
            head = scan.read(8)
            scan.seek(0)
            if scan.size > SCAN_MAX_BYTES:
                errors["scan"] = "The scan is larger than 10 MB."
            elif not any(head.startswith(magic) for magic in _SCAN_TYPES):
                errors["scan"] = "The scan must be a PDF, PNG or JPEG file."
    notice = notices.notice_for(patient, visit_date)
    if notice is None and "visit_date" not in errors:
        errors["visit_date"] = ("Medicare is not expected to deny a visit on this date: no "
                                "ABN is needed.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        abn = Abn.objects.create(
            patient=patient, visit_date=visit_date, option=option, how=how,
            signature_name=signature_name.strip(), signed_on=signed_on,
            reason="; ".join(notice.reasons)[:300], services=notice.services[:300],
            estimated_cost=notice.estimated_cost)
        if how == AbnSignedHow.SCANNED:
            content = scan.read()
            AbnScan.objects.create(
                abn=abn, content=content, size=len(content),
                media_type=next(kind for magic, kind in _SCAN_TYPES.items()
                                if content.startswith(magic)),
                sha256=hashlib.sha256(content).hexdigest(),
                filename=os.path.basename(scan.name or "")[:200])
        audit_record(request=request, action="billing.abn_record", patient=patient,
                     detail={"abn": abn.pk, "visit_date": visit_date.isoformat(),
                             "option": option, "how": how})
    return abn


def ncd_list_load(*, payer, listed, source_address: str, published: date,
                  leave_out_refused: bool, request: HttpRequest):
    """Load the CMS NCD 30.3.3 diagnosis list read from CMS's file (`ncd_list.read`) onto
    a Medicare payer, with where it came from; the codes the shipped ICD-10-CM release
    does not bill are left out only when the admin says so, having seen them."""
    errors = {}
    if payer.kind != PayerKind.MEDICARE:
        errors["file"] = "Only a Medicare payer uses the NCD 30.3.3 list."
    if not source_address.strip().lower().startswith("https://"):
        errors["source_address"] = ("Give the address of the CMS page the file was "
                                    "downloaded from (https://…).")
    if published > zones.today_at(payer.clinic):
        errors["published"] = "The publication date cannot be in the future."
    if listed.refused and not leave_out_refused:
        errors["leave_out_refused"] = (
            f"{len(listed.refused)} code{pluralize(len(listed.refused))} of the file "
            "cannot be billed under this ICD-10-CM release (listed below): tick the box "
            "to load the others without them, or upload the list for this release.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        payer.covered_diagnoses = listed.codes
        payer.covered_diagnoses_source = (
            f"{listed.filename} from {source_address.strip()}, published "
            f"{published.isoformat()}, loaded {zones.today_at(payer.clinic).isoformat()}"
        )[:300]
        payer.full_clean()
        payer.save(update_fields=["covered_diagnoses", "covered_diagnoses_source"])
        audit_record(request=request, action="payer.ncd_list_load", clinic=payer.clinic,
                     target=payer, detail={"codes": len(listed.codes),
                                           "left_out": len(listed.refused),
                                           "file": listed.filename,
                                           "sha256": listed.sha256})
    return payer
def coverage_plan_save(*, form, request: HttpRequest) -> CoveragePlan:
    """Save the patient's insurance from a valid CoveragePlanForm (new or edited),
    audited with the fields that changed."""
    with transaction.atomic():
        plan = form.save()
        audit_record(request=request, action="billing.coverage_save", patient=plan.patient,
                     detail={"plan": plan.pk, "payer": plan.payer_id,
                             "changed": sorted(form.changed_data)})
    return plan


def claim_setup_save(*, form, request: HttpRequest):
    """Save the clinic's claim set-up from a valid ClaimSetupForm, audited."""
    with transaction.atomic():
        setup = form.save()
        for payer_pk, identifier in form.payer_ids().items():
            Payer.objects.filter(pk=payer_pk, clinic=setup.clinic).update(
                electronic_payer_id=identifier)
        audit_record(request=request, action="billing.claim_setup_save",
                     clinic=setup.clinic, detail={"changed": sorted(form.changed_data)})
    return setup
