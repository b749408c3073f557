"""Superbills (HTML and PDF) and the claim export (CSV and JSON)."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from acuback.accounts import policy
from acuback.audit.services import audit_record
from acuback.patients import care
from acuback.patients.models import Patient
from acuback.patients.views import _get_patient
from acuback.web.csv_cells import csv_writer
from acuback.web.params import date_or, int_or
from acuback.web.pdf import pdf_response, wants_pdf

from . import superbill
from .forms import FeeScheduleForm
from .models import FeeSchedule, Payer
from .services import fee_schedule_save


def _clinic_for(request, permission: str):
    clinic = policy.home_clinic(request.user)
    if clinic is None or not policy.can(request.user, permission, clinic):
        raise PermissionDenied
    return clinic


@login_required
def billing_home(request: HttpRequest) -> HttpResponse:
    """The claims export and the fee schedule, for the roles that bill."""
    clinic = _clinic_for(request, "billing.export")
    today = timezone.localdate()
    return render(request, "billing/home.html", {
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


def _period(request) -> tuple[date, date]:
    today = timezone.localdate()
    start = date_or(request.GET.get("from"), today - timedelta(days=30))
    end = date_or(request.GET.get("to"), today)
    return (start, end) if start <= end else (end, start)


@login_required
def patient_superbill(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "billing.view")
    start, end = _period(request)
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
    start, end = _period(request)
    payer = Payer.objects.filter(clinic=clinic, pk=int_or(request.GET.get("payer"), 0)).first()
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
