"""Staff pages for patients: list and search, register, chart, edit, clinical record."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from acuback import sql
from acuback.accounts import policy
from acuback.audit.services import audit_read, audit_record, mark_break_glass
from acuback.billing.selectors import coverage_status
from acuback.screening.selectors import safety_profile
from acuback.treatment.selectors import timeline

from . import body_map, care, selectors, services
from .chart_rows import who_may_treat_rows
from .forms import ConsentRecordForm, ConsentWithdrawForm, PatientForm, PatientSearchForm
from .models import Consent, EpisodeOfCare, Patient


def _get_patient(request: HttpRequest, pk: int, permission: str, *,
                 starts_record: bool = False) -> Patient:
    """A patient the user may see (404 otherwise) and may act on (403 otherwise).

    A practitioner opening the clinical record of a patient they have no care
    relationship with must first "break the glass" (patients.care): give a reason,
    which is logged and highlighted for the clinic admin; while the grant lasts, every
    event of the request is audited with the break-the-glass flag."""
    patient = Patient.objects.visible_one(request.user, pk)
    if patient is None:
        raise Http404("No such patient.")
    policy.require(request.user, permission, patient.clinic_id)
    if permission in policy.CLINICAL_PERMISSIONS or permission in policy.SHOWS_CLINICAL_DATA:
        # Access.NONE here is a role granted the page without the clinical record
        # (front desk's superbill): the role decides, and the read is audited.
        access = care.clinical_access(request.user, patient)
        if access is care.Access.NEEDS_GLASS:
            raise BreakGlassRequired(patient)
        if access is care.Access.GLASS:
            if starts_record and request.method == "POST":
                raise care.GlassStartsNoRecord(care.GLASS_STARTS_NO_RECORD)
            mark_break_glass(request, patient)
    return patient


def _get_episode(request: HttpRequest, pk: int, episode_pk: int, permission: str, *,
                 starts_record: bool = False) -> tuple:
    """The patient, as `_get_patient`, and one of their episodes (404 otherwise), with the
    patient already attached (the pages and services read episode.patient)."""
    patient = _get_patient(request, pk, permission, starts_record=starts_record)
    # Written out (acuback.sql): every session and questionnaire write opens with it.
    found = sql.fetch(EpisodeOfCare, "t0.id = %s AND t0.patient_id = %s", [episode_pk, patient.pk])
    if not found:
        raise Http404("No such episode for this patient.")
    [episode] = found
    episode.patient = patient
    return patient, episode


class BreakGlassRequired(Exception):
    def __init__(self, patient: Patient):
        super().__init__(f"break the glass for patient {patient.pk}")
        self.patient = patient


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest, pk: int) -> HttpResponse:
    """Say why you open the record of a patient you do not treat; logged and highlighted."""
    from django.utils.http import url_has_allowed_host_and_scheme

    patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=pk)
    policy.require(request.user, "patient.view_clinical", patient.clinic_id)
    audit_read(request, patient)
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("patient_clinical", args=[patient.pk])
    error = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        if len(reason) < 10:
            error = "Give the reason in a few words (at least 10 characters)."
        else:
            # The audit event is the grant (patients.care): every door honours it.
            audit_record(request=request, action=care.GRANT_ACTION, patient=patient,
                         target=patient, break_glass=True, detail={"reason": reason[:500]})
            return redirect(target)
    return render(request, "patients/break_glass.html", {
        "patient": patient, "next": target, "error": error,
        "hours": care.BREAK_GLASS_HOURS}, status=400 if error else 200)


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    if not policy.can_anywhere(request.user, "patient.view"):
        raise PermissionDenied
    search = PatientSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    archived = request.GET.get("archived") == "1"
    page = Paginator(
        selectors.patient_search(user=request.user, query=query, archived=archived),
        settings.ACUBACK_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    audit_record(
        request=request,
        action="patient.search" if query else "patient.list",
        clinic=policy.home_clinic(request.user),
        detail={"query": query, "page": page.number, "shown": len(page.object_list)},
    )
    return render(
        request,
        "patients/list.html",
        {
            "search": search,
            "query": query,
            "page": page,
            "archived": archived,
            "can_create": policy.can_anywhere(request.user, "patient.create"),
        },
    )


@login_required
@require_http_methods(["GET"])
def patient_search_json(request: HttpRequest) -> HttpResponse:
    """Patients as the user types (name, date of birth, MRN, phone, e-mail): JSON for the
    booking page's finder; the same rules and audit as the patient list."""
    if not policy.can_anywhere(request.user, "patient.view"):
        raise PermissionDenied
    search = PatientSearchForm(request.GET)
    if not search.is_valid():
        return JsonResponse({"errors": {name: [str(e) for e in errors]
                                        for name, errors in search.errors.items()}},
                            status=400)
    query = search.cleaned_data["q"].strip()
    if len(query) < 2:  # one letter matches half the clinic: wait for the next
        return JsonResponse({"query": query, "results": []})
    return JsonResponse({"query": query, "results": [
        {"id": p.pk, "name": p.full_name, "mrn": p.mrn,
         "born": p.date_of_birth.isoformat(), "chart": reverse("patient_chart", args=[p.pk])}
        for p in services.patient_matches(request, query, via="as-you-type")]})


@login_required
@require_http_methods(["GET", "POST"])
def patient_create(request: HttpRequest) -> HttpResponse:
    clinic = policy.home_clinic(request.user)
    if clinic is None:
        raise PermissionDenied
    policy.require(request.user, "patient.create", clinic)
    form = PatientForm(request.POST or None, clinic=clinic)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = [] if form.register_anyway() else list(selectors.likely_duplicates(
            clinic=clinic, given_name=data["given_name"], family_name=data["family_name"],
            date_of_birth=data["date_of_birth"], email=data["email"], phone=data["phone"])[:10])
    if duplicates:
        for found in duplicates:  # their names and dates of birth are shown: a read
            audit_record(request=request, action="patient.duplicate_offered", patient=found)
        form.offer_register_anyway()
        return render(request, "patients/form.html",
                      {"form": form, "patient": None, "duplicates": duplicates})
    if request.method == "POST" and form.is_valid():
        patient = services.patient_create(clinic=clinic, data=form.cleaned_data, request=request)
        messages.success(request, f"{patient.full_name} registered with MRN {patient.mrn}.")
        if request.POST.get("then") == "insurance":  # the desk captures the insurance next
            return redirect("patient_coverage", pk=patient.pk)
        return redirect("patient_chart", pk=patient.pk)
    return render(request, "patients/form.html", {"form": form, "patient": None})


@login_required
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "patient.edit")
    form = PatientForm(request.POST or None, instance=patient, clinic=patient.clinic)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(
                patient=patient,
                data={k: v for k, v in form.cleaned_data.items() if k != "version"},
                expected_version=form.cleaned_data.get("version"),
                request=request,
            )
        except services.StaleEditError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Patient details saved.")
            return redirect("patient_chart", pk=patient.pk)
    elif request.method == "GET":
        audit_record(request=request, action="patient.view", patient=patient, target=patient,
                     detail={"page": "edit"})
    return render(request, "patients/form.html", {"form": form, "patient": patient})


@login_required
def patient_chart(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "patient.view")
    today = timezone.localdate()
    # The safety profile and correction requests are the clinical record: shown only
    # where it is open without the glass, or through a grant (then flagged).
    access = care.clinical_access(request.user, patient)
    if access is care.Access.GLASS:
        mark_break_glass(request, patient)
    clinical = access in (care.Access.CARE, care.Access.GLASS)
    audit_record(request=request, action="patient.view", patient=patient, target=patient,
                 detail={"page": "chart"})
    consents = selectors.consent_status(patient=patient)
    return render(
        request,
        "patients/chart.html",
        {
            "patient": patient,
            "age": patient.age_on(today),
            "consents": consents,
            "who_may_treat": who_may_treat_rows(selectors.who_may_treat(patient=patient,
                                                                        on=today)),
            "can_edit": policy.can(request.user, "patient.edit", patient.clinic_id),
            "can_book": (patient.archived_at is None
                         and policy.can(request.user, "schedule.book", patient.clinic_id)),
            "can_view_clinical": access is not care.Access.NONE,
            "profile": safety_profile(patient=patient, on=today, consents_in_force=(
                selectors.kinds_in_force(consents))) if clinical else None,
            "coverage": coverage_status(patient=patient, on=today),
            "can_archive": policy.can(request.user, "patient.archive", patient.clinic_id),
            "retain_until": selectors.retain_until(patient=patient) if patient.archived_at
            else None,
            "corrections": patient.correction_requests.all() if clinical else [],
            "can_respond": policy.can(request.user, "correction.respond", patient.clinic_id),
        },
    )


@login_required
def patient_clinical(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "patient.view_clinical")
    audit_record(request=request, action="patient.view_clinical", patient=patient,
                 target=patient)
    return _render_clinical(request, patient)


def _render_clinical(
    request: HttpRequest,
    patient: Patient,
    record_form: ConsentRecordForm | None = None,
    withdraw_errors: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    consents = selectors.consent_status(patient=patient)
    return render(
        request,
        "patients/clinical.html",
        {
            "patient": patient,
            "consents": consents,
            "history": selectors.consent_history(patient=patient),
            "record_form": record_form or ConsentRecordForm(patient=patient),
            "withdraw_errors": withdraw_errors or {},
            "can_record": policy.can(request.user, "consent.record", patient.clinic_id),
            "profile": safety_profile(patient=patient, on=timezone.localdate(),
                                      consents_in_force=selectors.kinds_in_force(consents)),
            "episodes": selectors.episodes_with_screenings(patient=patient),
            "can_manage_episodes": policy.can(request.user, "episode.manage", patient.clinic_id),
            "can_check": policy.can(request.user, "needling.check", patient.clinic_id),
            "can_plan": policy.can(request.user, "plan.manage", patient.clinic_id),
            "can_record_session": policy.can(request.user, "session.record", patient.clinic_id),
            "can_record_event": policy.can(request.user, "adverse_event.record",
                                           patient.clinic_id),
            "locations": patient.clinic.locations.filter(is_active=True),
            "timeline": timeline(patient=patient),
            "body_regions": body_map.REGIONS, "body_outline": body_map.OUTLINE,
            "can_withdraw": policy.can(request.user, "consent.withdraw", patient.clinic_id),
        },
        status=status,
    )


@login_required
@require_POST
def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "consent.record")
    form = ConsentRecordForm(request.POST, patient=patient)
    if not form.is_valid():
        return _render_clinical(request, patient, record_form=form, status=400)
    try:
        consent = services.consent_record(
            patient=patient,
            form=form.cleaned_data["form"],
            signature_name=form.cleaned_data["signature_name"],
            signed_by_representative=form.cleaned_data["signed_by_representative"],
            request=request,
        )
    except services.ConsentError as exc:
        form.add_error("form", str(exc))
        return _render_clinical(request, patient, record_form=form, status=400)
    messages.success(request, f"{consent.get_kind_display()} consent recorded.")
    return redirect("patient_clinical", pk=patient.pk)


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "consent.withdraw")
    consent = get_object_or_404(Consent.objects.filter(patient=patient), pk=consent_pk)
    form = ConsentWithdrawForm(request.POST)
    if not form.is_valid():
        return _render_clinical(
            request, patient, withdraw_errors={consent.pk: form.errors["reason"]}, status=400
        )
    try:
        services.consent_withdraw(consent=consent, reason=form.cleaned_data["reason"],
                                  request=request)
    except services.ConsentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{consent.get_kind_display()} consent withdrawn.")
    return redirect("patient_clinical", pk=patient.pk)


@login_required
@require_POST
def patient_archive(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "patient.archive")
    try:
        if request.POST.get("restore"):
            services.patient_restore(patient=patient, request=request)
            messages.success(request, "Patient restored to the lists.")
        else:
            services.patient_archive(patient=patient, reason=request.POST.get("reason", ""),
                                     request=request)
            messages.success(request, "Patient archived: hidden from lists, records kept.")
    except services.RecordRequestRefused as exc:
        messages.error(request, str(exc))
    return redirect("patient_chart", pk=patient.pk)


@login_required
@require_POST
def correction_respond(request: HttpRequest, pk: int, correction_pk: int) -> HttpResponse:
    from .models import CorrectionRequest

    patient = _get_patient(request, pk, "correction.respond")
    correction = get_object_or_404(CorrectionRequest, patient=patient, pk=correction_pk)
    try:
        services.correction_respond(correction=correction, status=request.POST.get("status", ""),
                                    response=request.POST.get("response", ""), request=request)
        messages.success(request, "Answer recorded; the patient sees it in the portal.")
    except services.RecordRequestRefused as exc:
        messages.error(request, str(exc))
    return redirect("patient_chart", pk=patient.pk)
