"""Superbills (HTML and PDF) and the claim export (CSV and JSON)."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from acuback.accounts import policy, zones
from acuback.audit.services import audit_read, audit_record
from acuback.patients import care
from acuback.patients.models import Patient
from acuback.patients.views import _get_patient
from acuback.row_ids import param_id
from acuback.web.csv_cells import csv_writer
from acuback.web.params import date_or
from acuback.web.pdf import pdf_response, wants_pdf

from . import abn, ledger, services, superbill
from .forms import (
    AbnForm,
    FeeScheduleForm,
    InvoiceIssueForm,
    InvoiceVoidForm,
    PackageForm,
    PaymentForm,
)
from .models import FeeSchedule, Invoice, Payer, Payment
from .services import fee_schedule_save


def _clinic_for(request, permission: str):
    clinic = policy.home_clinic(request.user)
    if clinic is None or not policy.can(request.user, permission, clinic):
        raise PermissionDenied
    return clinic


@login_required
def billing_home(request: HttpRequest) -> HttpResponse:
    """The claims export and the fee schedule, for the roles that bill; the day's
    takings for the roles that take payments."""
    clinic = policy.home_clinic(request.user)
    if clinic is None or not (policy.can(request.user, "billing.export", clinic)
                              or policy.can(request.user, "billing.charge", clinic)):
        raise PermissionDenied
    today = zones.today_at(clinic)
    return render(request, "billing/home.html", {
        "can_export": policy.can(request.user, "billing.export", clinic),
        "can_charge": policy.can(request.user, "billing.charge", clinic),
        "clinic": clinic, "payers": Payer.objects.filter(clinic=clinic),
        "start": today - timedelta(days=30), "end": today,
        "can_edit_fees": policy.can(request.user, "clinic.manage", clinic)})


@login_required
def fee_schedule(request: HttpRequest) -> HttpResponse:
    clinic = _clinic_for(request, "clinic.manage")
    fees = dict(FeeSchedule.objects.filter(clinic=clinic).values_list("code", "amount"))
    form = FeeScheduleForm(request.POST or None, fees=fees)
    if request.method == "POST":
        if form.is_valid():
            fee_schedule_save(clinic=clinic, amounts=form.amounts(), request=request)
            messages.success(request, "Fee schedule saved.")
            return redirect("fee_schedule")
        return render(request, "billing/fees.html", {"form": form, "clinic": clinic},
                      status=400)
    return render(request, "billing/fees.html", {"form": form, "clinic": clinic})


def _period(request, clinic) -> tuple[date, date]:
    """The period asked for; by default the 30 days to the clinic's today."""
    today = zones.today_at(clinic)
    start = date_or(request.GET.get("from"), today - timedelta(days=30))
    end = date_or(request.GET.get("to"), today)
    return (start, end) if start <= end else (end, start)


@login_required
def patient_superbill(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "billing.view")
    start, end = _period(request, patient.clinic)
    bill = superbill.build(patient=patient, start=start, end=end)
    audit_record(request=request, action="billing.superbill", patient=patient,
                 detail={"from": start.isoformat(), "to": end.isoformat(),
                         "shows": "diagnoses", "pdf": wants_pdf(request)})
    context = {"patient": patient, "bill": bill, "start": start, "end": end}
    if wants_pdf(request):
        return pdf_response(request, "billing/superbill.html", context,
                            f"superbill-{patient.mrn}-{start}-{end}.pdf")
    return render(request, "billing/superbill.html", context)


@login_required
def claim_export(request: HttpRequest) -> HttpResponse:
    clinic = _clinic_for(request, "billing.export")
    start, end = _period(request, clinic)
    payer = Payer.objects.filter(clinic=clinic, pk=param_id(request.GET.get("payer"))).first()
    patients = Patient.objects.filter(clinic=clinic, sessions__status="signed",
                                      sessions__session_date__range=(start, end)).distinct()
    if payer is not None:
        patients = patients.filter(coverage_plans__payer=payer)
    if policy.outside_usual_scope(request.user, clinic):
        # The lines carry diagnoses: a practitioner's export holds only the patients
        # they treat (patients.care), as every clinical list does.
        patients = patients.filter(care.clinical_scope(request.user, ""))
    rows = []
    for patient in patients:
        bill = superbill.build(patient=patient, start=start, end=end)
        # Claims go to a payer: self-pay visits are on the superbill, not in the export.
        if bill.plan is not None and (payer is None or bill.plan.payer_id == payer.pk):
            rows += superbill.claim_rows(bill)
    audit_record(request=request, action="billing.claim_export", clinic=clinic,
                 detail={"rows": len(rows), "shows": "diagnoses", "from": start.isoformat(), "to": end.isoformat()})
    if request.GET.get("format") == "json":
        return HttpResponse(json.dumps({"from": start.isoformat(), "to": end.isoformat(),
                                        "lines": rows}, indent=2),
                            content_type="application/json")
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(superbill.CLAIM_FIELDS)
    writer.writerows([row[f] for f in superbill.CLAIM_FIELDS] for row in rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="claims-{start}-{end}.csv"'
    return response


# Patients who pay (issue #29 §4): the account page and its writes, receipts, statements,
# and the front desk's takings.


def _account_context(request, patient, **forms) -> dict:
    can_charge = policy.can(request.user, "billing.charge", patient.clinic_id)
    invoices = ledger.invoices_with_payments(patient)
    return {
        "patient": patient, "balance": ledger.balance(patient), "can_charge": can_charge,
        "invoices": invoices,
        "payments": list(Payment.objects.filter(patient=patient).select_related("invoice")),
        "packages": ledger.packages_with_visits_left(patient),
        "issue_form": forms.get("issue_form") or InvoiceIssueForm(
            initial={"date_of_service": zones.today_at(patient.clinic), "use_package": True}),
        "payment_form": forms.get("payment_form") or PaymentForm(invoices=invoices),
        "package_form": forms.get("package_form") or PackageForm(),
        "void_form": forms.get("void_form") or InvoiceVoidForm(),
    }


@login_required
def patient_account(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "billing.view")
    audit_read(request, patient, "billing.account")
    return render(request, "billing/account.html", _account_context(request, patient))


def _account_write(request, pk: int, form_class, form_name: str, write,
                   **form_kwargs) -> HttpResponse:
    """A POST from the account page: the form, then the service; a refusal comes back
    on the page, naming the field (400)."""
    if request.method != "POST":
        return redirect("patient_account", pk)
    patient = _get_patient(request, pk, "billing.charge")
    form = form_class(request.POST, **{name: value(patient)
                                       for name, value in form_kwargs.items()})
    if form.is_valid():
        try:
            message = write(patient, form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, message)
            return redirect("patient_account", pk)
    return render(request, "billing/account.html",
                  _account_context(request, patient, **{form_name: form}), status=400)


@login_required
def invoice_issue_view(request: HttpRequest, pk: int) -> HttpResponse:
    def write(patient, data):
        invoice = services.invoice_issue(
            patient=patient, day=data["date_of_service"], request=request,
            discount=data["discount"] or Decimal(0),
            discount_reason=data["discount_reason"], use_package=data["use_package"])
        return f"{invoice.number} issued: {invoice.total} to pay."
    return _account_write(request, pk, InvoiceIssueForm, "issue_form", write)


@login_required
def invoice_void_view(request: HttpRequest, pk: int, invoice_pk: int) -> HttpResponse:
    def write(patient, data):
        invoice = get_object_or_404(Invoice, patient=patient, pk=invoice_pk)
        services.invoice_void(invoice=invoice, reason=data["reason"], request=request)
        return f"{invoice.number} is void: issue a new invoice for its date if needed."
    return _account_write(request, pk, InvoiceVoidForm, "void_form", write)


@login_required
def payment_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    def write(patient, data):
        invoice = None
        if data["invoice"]:
            invoice = Invoice.objects.filter(patient=patient, pk=data["invoice"]).first()
        payment = services.payment_record(
            patient=patient, amount=data["amount"], method=data["method"], request=request,
            external_reference=data["external_reference"], reason=data["reason"],
            invoice=invoice)
        return f"{'Refund' if payment.amount < 0 else 'Payment'} {payment.number} recorded."
    return _account_write(request, pk, PaymentForm, "payment_form", write,
                          invoices=ledger.invoices_with_payments)


@login_required
def package_sell_view(request: HttpRequest, pk: int) -> HttpResponse:
    def write(patient, data):
        invoice = services.package_sell(patient=patient, visits=data["visits"],
                                        price=data["price"], request=request)
        return f"Package sold: {invoice.number} for {invoice.total}."
    return _account_write(request, pk, PackageForm, "package_form", write)


@login_required
def invoice_document(request: HttpRequest, pk: int, invoice_pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "billing.view")
    invoice = next(iter(ledger.invoices_with_payments(patient, pk=invoice_pk)), None)
    if invoice is None:
        raise Http404
    audit_record(request=request, action="billing.invoice_view", patient=patient,
                 detail={"invoice": invoice.number})
    context = {"patient": patient, "invoice": invoice}
    if wants_pdf(request):
        return pdf_response(request, "billing/invoice.html", context,
                            f"invoice-{invoice.number}.pdf")
    return render(request, "billing/invoice.html", context)


@login_required
def payment_receipt(request: HttpRequest, pk: int, payment_pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "billing.view")
    payment = get_object_or_404(Payment.objects.select_related("invoice"), patient=patient,
                                pk=payment_pk)
    audit_record(request=request, action="billing.receipt", patient=patient,
                 detail={"receipt": payment.number})
    context = {"patient": patient, "payment": payment}
    if wants_pdf(request):
        return pdf_response(request, "billing/receipt.html", context,
                            f"receipt-{payment.number}.pdf")
    return render(request, "billing/receipt.html", context)


@login_required
def patient_statement(request: HttpRequest, pk: int) -> HttpResponse:
    """Every invoice and payment in the period, the balance before and after (in SQL)."""
    patient = _get_patient(request, pk, "billing.view")
    start, end = _period(request, patient.clinic)
    statement = ledger.statement(patient, start, end)
    audit_record(request=request, action="billing.statement", patient=patient,
                 detail={"from": start.isoformat(), "to": end.isoformat()})
    context = {"patient": patient, "statement": statement, "start": start, "end": end}
    if wants_pdf(request):
        return pdf_response(request, "billing/statement.html", context,
                            f"statement-{patient.mrn}-{start}-{end}.pdf")
    return render(request, "billing/statement.html", context)


@login_required
def takings_report(request: HttpRequest) -> HttpResponse:
    """The day's takings for the front desk, in the clinic's time zone."""
    clinic = _clinic_for(request, "billing.charge")
    day = date_or(request.GET.get("day"), zones.today_at(clinic))
    report = ledger.takings(clinic, day)
    audit_record(request=request, action="billing.takings", clinic=clinic,
                 detail={"day": day.isoformat(), "payments": len(report.payments)})
    return render(request, "billing/takings.html", {"clinic": clinic, "report": report})


# The ABN (issue #29 §3): prepared from the record, recorded when signed.


@login_required
def abn_prepare(request: HttpRequest, pk: int) -> HttpResponse:
    """The CMS-R-131 notice for a visit on `on` (default: the clinic's today), as a page
    or a PDF to print and sign; nothing when Medicare is not expected to deny it."""
    patient = _get_patient(request, pk, "billing.view")
    on = date_or(request.GET.get("on"), zones.today_at(patient.clinic))
    notice = abn.notice_for(patient, on)
    audit_record(request=request, action="billing.abn_prepare", patient=patient,
                 detail={"on": on.isoformat(), "needed": notice is not None})
    context = {"patient": patient, "notice": notice, "on": on,
               "form": AbnForm(initial={"visit_date": on, "signed_on": on, "option": 1,
                                        "how": "on_screen"})}
    if wants_pdf(request) and notice is not None:
        return pdf_response(request, "billing/abn.html", context,
                            f"abn-{patient.mrn}-{on}.pdf")
    return render(request, "billing/abn.html", context)


@login_required
def abn_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "billing.view")
    if request.method != "POST":
        return redirect("abn_prepare", pk)
    form = AbnForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            signed = services.abn_record(patient=patient, visit_date=data["visit_date"],
                                         option=data["option"], how=data["how"],
                                         signature_name=data["signature_name"],
                                         signed_on=data["signed_on"], scan=data["scan"],
                                         request=request)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, "Signed ABN recorded.")
            if warning := abn.declined_but_treated(signed):
                messages.warning(request, warning)
            return redirect("patient_chart", pk)
    on = form.cleaned_data.get("visit_date") or zones.today_at(patient.clinic)
    return render(request, "billing/abn.html", {
        "patient": patient, "notice": abn.notice_for(patient, on), "on": on, "form": form},
        status=400)
