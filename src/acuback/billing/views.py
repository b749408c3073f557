"""Superbills (HTML and PDF) and the claim export (CSV and JSON)."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
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

from . import abn, claims, ledger, services, superbill
from . import selectors as claims_selectors
from .forms import (
    AbnForm,
    ClaimSetupForm,
    CoveragePlanForm,
    FeeScheduleForm,
    InvoiceIssueForm,
    InvoiceVoidForm,
    PackageForm,
    PaymentForm,
    RemittanceUploadForm,
)
from .models import (
    Abn,
    AbnScan,
    Claim,
    ClaimBatch,
    ClaimPayment,
    ClaimStatus,
    CoveragePlan,
    FeeSchedule,
    Invoice,
    Payer,
    Payment,
    Remittance,
)
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


def _period(request, clinic, params=None) -> tuple[date, date]:
    """The period asked for (in the query, or in `params`: a form's fields); by default
    the 30 days to the clinic's today."""
    today = zones.today_at(clinic)
    params = request.GET if params is None else params
    start = date_or(params.get("from"), today - timedelta(days=30))
    end = date_or(params.get("to"), today)
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
        "abns": list(Abn.objects.filter(patient=patient).annotate(
            has_scan=Exists(AbnScan.objects.filter(abn=OuterRef("pk"))))),
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
def abn_scan(request: HttpRequest, pk: int, abn_pk: int) -> HttpResponse:
    """The scan of a signed paper ABN, from the database: any app server serves it."""
    patient = _get_patient(request, pk, "billing.view")
    scan = get_object_or_404(AbnScan, abn__patient=patient, abn__pk=abn_pk)
    audit_record(request=request, action="billing.abn_scan_read", patient=patient,
                 detail={"abn": abn_pk, "sha256": scan.sha256})
    response = HttpResponse(bytes(scan.content), content_type=scan.media_type)
    extension = {"application/pdf": "pdf", "image/png": "png"}.get(scan.media_type, "jpg")
    response["Content-Disposition"] = (
        f'attachment; filename="abn-{patient.mrn}-{abn_pk}.{extension}"')
    return response


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


# Insurance details (issue #28 §4): captured at registration, kept up to date by the desk.


@login_required
def patient_coverage(request: HttpRequest, pk: int, plan_pk: int | None = None) -> HttpResponse:
    """The patient's coverage: the plans on record, and a form to add one or edit one."""
    patient = _get_patient(request, pk, "patient.view")
    can_edit = policy.can(request.user, "patient.edit", patient.clinic_id)
    plan = None
    if plan_pk is not None:
        plan = get_object_or_404(CoveragePlan, patient=patient, pk=plan_pk)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    form = CoveragePlanForm(request.POST or None, instance=plan, patient=patient)
    if request.method == "POST":
        if form.is_valid():
            saved = services.coverage_plan_save(form=form, request=request)
            messages.success(request, f"Insurance saved: {saved.payer}, member "
                             f"{saved.member_id or '(none)'}.")
            return redirect("patient_coverage", pk)
    else:
        audit_read(request, patient, "billing.coverage")
    plans = CoveragePlan.objects.filter(patient=patient).select_related("payer")
    return render(request, "billing/coverage.html",
                  {"patient": patient, "plans": plans, "form": form, "plan": plan,
                   "can_edit": can_edit},
                  status=400 if request.method == "POST" else 200)


# Electronic claims and remittance (issue #29 §2), for the roles that bill
# (billing.export, docs/access-control.md).


def _refusal(error: ValidationError) -> list[str]:
    return [m for problems in error.message_dict.values() for m in problems]


@login_required
def claims_page(request: HttpRequest) -> HttpResponse:
    """The clinic's claims by status, with the forms to prepare claims for a period and
    to send the ready ones in a batch; the batches sent."""
    clinic = _clinic_for(request, "billing.export")
    start, end = _period(request, clinic)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "submit":
                ids = [int(i) for i in request.POST.getlist("claim") if i.isdigit()]
                batch = claims.batch_submit(clinic=clinic, claim_ids=ids, request=request)
                messages.success(request, f"Batch {batch.control_number} sent: "
                                 f"{len(ids)} claim{'s' if len(ids) != 1 else ''}; its 837P "
                                 "passed the X12 validator.")
            else:  # the period is the form's
                start, end = _period(request, clinic, request.POST)
                made = claims.claims_prepare(clinic=clinic, start=start, end=end,
                                             request=request)
                messages.success(request, f"{len(made)} claim{'s' if len(made) != 1 else ''} "
                                 "prepared from the record.")
            return redirect("claims_page")
        except ValidationError as error:
            problems, status = _refusal(error), 400
    listed = claims_selectors.claims_for(clinic, request.GET.get("status", ""))
    audit_record(request=request, action="billing.claims_view", clinic=clinic,
                 detail={"claims": len(listed), "shows": "diagnoses"})
    return render(request, "billing/claims.html", {
        "clinic": clinic, "claims": listed, "problems": problems, "start": start, "end": end,
        "batches": ClaimBatch.objects.filter(clinic=clinic)[:20],
        "statuses": ClaimStatus.choices, "status": request.GET.get("status", ""),
        "setup_missing": claims.setup_missing(claims.setup_for(clinic))}, status=status)


@login_required
def claim_detail(request: HttpRequest, claim_pk: int) -> HttpResponse:
    clinic = _clinic_for(request, "billing.export")
    claim = get_object_or_404(Claim.objects.select_related("patient", "plan__payer", "batch",
                                                           "replaces", "replaced_by"),
                              clinic=clinic, pk=claim_pk)
    problems: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "correct":
                new = claims.claim_correct(claim=claim, request=request)
                messages.success(request, f"{new.number} corrects {claim.number} "
                                 "(frequency 7).")
                return redirect("claim_detail", new.pk)
            claims.claim_rebuild(claim=claim, request=request)
            messages.success(request, f"{claim.number} rebuilt from the record.")
            return redirect("claim_detail", claim.pk)
        except ValidationError as error:
            problems = _refusal(error)
    audit_record(request=request, action="billing.claim_view", patient=claim.patient,
                 detail={"claim": claim.number, "shows": "diagnoses"})
    return render(request, "billing/claim.html", {
        "claim": claim, "lines": list(claim.lines.all()),
        "events": list(claim.events.select_related("by")),
        "payments": list(claim.payments.select_related("remittance")
                         .prefetch_related("adjustments")),
        "problems": problems}, status=400 if problems else 200)


@login_required
def batch_download(request: HttpRequest, batch_pk: int) -> HttpResponse:
    """The batch's 837P as sent (it passed the validator before it was kept)."""
    clinic = _clinic_for(request, "billing.export")
    batch = get_object_or_404(ClaimBatch, clinic=clinic, pk=batch_pk)
    audit_record(request=request, action="billing.batch_download", clinic=clinic,
                 detail={"batch": batch.control_number, "shows": "diagnoses"})
    response = HttpResponse(batch.x12, content_type="application/edi-x12")
    response["Content-Disposition"] = f'attachment; filename="{batch.filename}"'
    return response


@login_required
def remittances_page(request: HttpRequest) -> HttpResponse:
    """Upload an 835; the remittances posted, and the claim payments nobody matched."""
    clinic = _clinic_for(request, "billing.export")
    form = RemittanceUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > 5 * 1024 * 1024:
                raise ValidationError({"file": "An 835 larger than 5 MB is not accepted."})
            content = upload.read().decode("utf-8", errors="strict")
            remittance = claims.remittance_import(clinic=clinic, content=content,
                                                  request=request)
        except UnicodeDecodeError:
            form.add_error("file", "The file is not text: an 835 is an X12 text file.")
        except ValidationError as error:
            for problem in _refusal(error):
                form.add_error("file", problem)
        else:
            messages.success(request, f"835 {remittance.trace_number} posted.")
            return redirect("remittance_detail", remittance.pk)
    audit_record(request=request, action="billing.remittances_view", clinic=clinic, detail={})
    return render(request, "billing/remittances.html", {
        "form": form, "remittances": Remittance.objects.filter(clinic=clinic)[:50],
        "unmatched": ClaimPayment.objects.filter(remittance__clinic=clinic, claim__isnull=True)
        .select_related("remittance")[:100]},
        status=400 if request.method == "POST" else 200)


@login_required
def remittance_detail(request: HttpRequest, remittance_pk: int) -> HttpResponse:
    clinic = _clinic_for(request, "billing.export")
    remittance = get_object_or_404(Remittance, clinic=clinic, pk=remittance_pk)
    audit_record(request=request, action="billing.remittance_view", clinic=clinic,
                 detail={"trace": remittance.trace_number})
    payments = list(remittance.claim_payments.select_related("claim__patient")
                    .prefetch_related("adjustments"))
    return render(request, "billing/remittance.html", {
        "remittance": remittance, "payments": payments,
        "posted": sum((p.paid for p in payments if p.claim_id), Decimal(0))})


@login_required
def claim_setup(request: HttpRequest) -> HttpResponse:
    """The clinic's sender details for the 837P (clinic admin)."""
    clinic = _clinic_for(request, "clinic.manage")
    form = ClaimSetupForm(request.POST or None, instance=claims.setup_for(clinic),
                          payers=Payer.objects.filter(clinic=clinic))
    if request.method == "POST":
        if form.is_valid():
            services.claim_setup_save(form=form, request=request)
            messages.success(request, "Claim set-up saved.")
            return redirect("claim_setup")
        return render(request, "billing/claim_setup.html", {"form": form}, status=400)
    return render(request, "billing/claim_setup.html", {"form": form})
