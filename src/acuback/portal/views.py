"""The patient portal: magic-link login, bookings, progress, consents, own record."""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from acuback.accounts import zones
from acuback.accounts.models import Practitioner
from acuback.audit.services import audit_read, audit_record
from acuback.outcomes import selectors as outcome_selectors
from acuback.outcomes import services as outcome_services
from acuback.outcomes.charts import episode_charts
from acuback.outcomes.models import AlertKind
from acuback.patients import services as patient_services
from acuback.patients.forms import ConsentRecordForm
from acuback.patients.models import Consent
from acuback.patients.selectors import consent_history, consent_status
from acuback.row_ids import param_id
from acuback.scheduling import selectors as scheduling_selectors
from acuback.scheduling import services as scheduling_services
from acuback.scheduling.forms import parse_aware
from acuback.scheduling.models import Appointment, BookedVia
from acuback.web import limits
from acuback.web.params import parse_date
from acuback.web.pdf import pdf_response, wants_pdf

from . import services
from .forms import BookingSearchForm, MagicLinkForm


def _patient(request):
    patient = services.own_patient(request.user)
    if patient is None:
        raise PermissionDenied
    return patient


@require_http_methods(["GET", "POST"])
def portal_login(request: HttpRequest) -> HttpResponse:
    form = MagicLinkForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        wait = limits.retry_after(
            request, ("magic_link_per_email", form.cleaned_data["email"].strip().lower()),
            ("magic_link_per_client", limits.client_address(request)))
        if wait is not None:
            return limits.too_many_page(request, wait)
        services.magic_link_send(email=form.cleaned_data["email"], request=request)
        sent = True
    return render(request, "portal/login.html", {"form": form, "sent": sent},
                  status=400 if form.errors else 200)


def portal_magic(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.magic_link_user(token)
    except services.PortalError as exc:
        # A forged, expired or replayed link: refused, and kept in the audit log.
        audit_record(request=request, action="security.magic_link_refused",
                     detail={"reason": str(exc), "token_prefix": token[:8]})
        return render(request, "outcomes/link_error.html", {"message": str(exc)}, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    audit_record(request=request, action="portal.login_magic", actor=user)
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
def portal_book(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    audit_read(request, patient)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = BookingSearchForm(data, clinic=patient.clinic, new_patient=False)
    options, problem = [], None
    if data is not None and form.is_valid():
        c = form.cleaned_data
        if request.method == "POST":
            practitioner = get_object_or_404(Practitioner.objects.filter(
                clinic=patient.clinic, is_active=True), pk=param_id(request.POST.get("practitioner")))
            start = parse_aware(request.POST.get("start", ""))
            try:
                if start is None:
                    raise scheduling_services.BookingRefused("Choose a time from the list.")
                appointment = scheduling_services.appointment_book(
                    patient=patient, practitioner=practitioner, location=c["location"],
                    type=c["type"], start=start, request=request,
                    booked_via=BookedVia.PORTAL, patient_confirmed=True)
            except scheduling_services.BookingRefused as exc:
                problem = str(exc)
            else:
                messages.success(request, f"Booked: {appointment.type.name} with "
                                 f"{practitioner.display_name}, "
                                 f"{zones.local_text(appointment.start, appointment.location)}"
                                 f" at {appointment.location.name}. "
                                 "A reminder will follow by e-mail.")
                return redirect("portal_appointment", appointment_pk=appointment.pk)
        options = _options(patient.clinic, c)
    return render(request, "portal/book.html", {
        "form": form, "options": options, "problem": problem,
        "zone_note": _zone_note(form),
        "searched": form.is_bound and form.is_valid()},
        status=400 if problem or (form.is_bound and form.errors) else 200)


def _zone_note(form) -> str:
    """Which clock the offered times are on, for someone booking from anywhere."""
    if not (form.is_bound and form.is_valid()):
        return ""
    location, day = form.cleaned_data["location"], form.cleaned_data["day"]
    noon = datetime.combine(day, time(12), tzinfo=zones.zone_of(location))
    return (f"Times are local time at {location.name} "
            f"({zones.zone_name(noon, location)}, {location.time_zone}).")


def _options(clinic, c):
    """Practitioners cleared to needle at the location that day, with their free times."""
    result = []
    for practitioner in Practitioner.objects.filter(clinic=clinic, is_active=True
                                                    ).prefetch_related("credentials"):
        if not practitioner.clearance_at(c["location"], c["day"]).cleared:
            continue
        free = scheduling_selectors.free_slots(practitioner, c["location"], c["type"], c["day"])
        if free:
            result.append((practitioner,
                           scheduling_selectors.slot_choices(free, c["location"])))
    return result


def _own_appointment(request: HttpRequest, appointment_pk: int) -> Appointment:
    return get_object_or_404(Appointment.objects.filter(patient=_patient(request))
                             .select_related("location", "clinic", "type", "practitioner",
                                             "patient"), pk=appointment_pk)


def _summary(appointment: Appointment) -> dict:
    """What every page about one visit restates: when (on the location's clock, with its
    zone), with whom, where (the address), and the clinic's phone."""
    return {"appointment": appointment, "clinic": appointment.clinic,
            "when": zones.local_text(appointment.start, appointment.location)}


@login_required
def portal_appointment(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    """One of the patient's visits: the booking's confirmation, with what to bring and a
    calendar file."""
    appointment = _own_appointment(request, appointment_pk)
    audit_record(request=request, action="portal.view_appointment",
                 patient=appointment.patient, target=appointment)
    return render(request, "portal/appointment.html", {
        **_summary(appointment), "what_to_bring": services.WHAT_TO_BRING,
        "calendar_url": reverse("portal_appointment_ics", args=[appointment.pk]),
        "can_change": services.can_change(appointment)})


@login_required
def portal_appointment_ics(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    appointment = _own_appointment(request, appointment_pk)
    return _calendar_file(request, appointment)


def public_calendar_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The add-to-calendar link of the page that confirms a booking without a log-in."""
    try:
        appointment = services.calendar_appointment(token)
    except services.PortalError as exc:
        return render(request, "outcomes/link_error.html", {"message": str(exc)}, status=400)
    return _calendar_file(request, appointment)


def _calendar_file(request: HttpRequest, appointment: Appointment) -> HttpResponse:
    from acuback.scheduling.notifications import appointment_ics

    audit_record(request=request, action="portal.appointment_calendar",
                 patient=appointment.patient, target=appointment)
    response = HttpResponse(appointment_ics(appointment),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def portal_cancel(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    """Asks first: the page restates the visit, and only its button cancels."""
    patient = _patient(request)
    appointment = _own_appointment(request, appointment_pk)
    if request.method == "GET" or request.POST.get("confirm") != "yes":
        audit_read(request, patient)
        return render(request, "portal/cancel.html", {
            **_summary(appointment), "can_change": services.can_change(appointment)})
    try:
        services.patient_cancel(appointment=appointment, request=request)
    except (services.PortalError, scheduling_services.BookingRefused) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your appointment is cancelled.")
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
def portal_reschedule(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    patient = _patient(request)
    audit_read(request, patient)
    appointment = get_object_or_404(Appointment.objects.filter(patient=patient)
                                    .select_related("location", "type", "practitioner"),
                                    pk=appointment_pk)
    day_text = request.POST.get("day") or request.GET.get("day") or ""
    problem, free = None, []
    day = parse_date(day_text) if day_text else None
    if day_text and day is None:
        problem = "Choose a valid date."
    if request.method == "POST" and "start" in request.POST:
        start = parse_aware(request.POST["start"])
        try:
            if start is None:
                raise services.PortalError("Choose a time from the list.")
            moved = services.patient_reschedule(appointment=appointment, start=start,
                                                request=request)
        except (services.PortalError, scheduling_services.BookingRefused) as exc:
            problem = str(exc)
        else:
            messages.success(request, "Your appointment is moved.")
            return redirect("portal_appointment", appointment_pk=moved.pk)
    if day is not None and day >= zones.today_at(appointment.location):
        free = scheduling_selectors.slot_choices(scheduling_selectors.free_slots(
            appointment.practitioner, appointment.location, appointment.type, day),
            appointment.location)
    return render(request, "portal/reschedule.html", {
        **_summary(appointment), "day": day, "free": free, "problem": problem,
        "can_change": services.can_change(appointment)}, status=400 if problem else 200)


@login_required
def portal_progress(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    episodes = [(o.episode, o.progress, episode_charts(o.episode, o.progress, o.session_days,
                                                       narrow=True))
                for o in outcome_selectors.patient_outcomes(patient, timezone.localdate())]
    audit_record(request=request, action="portal.view_progress", patient=patient)
    return render(request, "portal/progress.html", {"patient": patient, "episodes": episodes})


@login_required
@require_http_methods(["GET", "POST"])
def portal_consents(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    audit_read(request, patient)
    form = ConsentRecordForm(request.POST or None, patient=patient)
    if request.method == "POST" and request.POST.get("withdraw"):
        consent = get_object_or_404(Consent.objects.filter(patient=patient),
                                    pk=param_id(request.POST["withdraw"]))
        try:
            patient_services.consent_withdraw(consent=consent, request=request,
                                              reason="Withdrawn by the patient online")
        except patient_services.ConsentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Consent withdrawn.")
        return redirect("portal_consents")
    if request.method == "POST" and form.is_valid():
        patient_services.consent_record(
            patient=patient, form=form.cleaned_data["form"], request=request,
            signature_name=form.cleaned_data["signature_name"],
            signed_by_representative=form.cleaned_data["signed_by_representative"])
        messages.success(request, "Thank you: consent signed.")
        return redirect("portal_consents")
    return render(request, "portal/consents.html", {
        "patient": patient, "form": form, "consents": consent_status(patient=patient),
        "history": consent_history(patient=patient)}, status=400 if form.errors else 200)


@login_required
def portal_record(request: HttpRequest) -> HttpResponse:
    """The patient's own record, readable and printable; a FHIR copy is one link away."""
    patient = _patient(request)
    audit_record(request=request, action="portal.download_record", patient=patient,
                 detail={"pdf": wants_pdf(request)})
    context = {
        "patient": patient, "consents": consent_history(patient=patient),
        "appointments": patient.appointments.select_related("practitioner", "location",
                                                            "type"),
        "episodes": patient.episodes.prefetch_related("sessions__insertions",
                                                      "responses", "screenings"),
        "generated": timezone.now()}
    if wants_pdf(request):  # "Download my record" (issue #28 §7)
        return pdf_response(request, "portal/record.html", context,
                            f"record-{patient.mrn}-{zones.today_at(patient.clinic)}.pdf")
    return render(request, "portal/record.html", context)


@login_required
def portal_record_fhir(request: HttpRequest) -> HttpResponse:
    """Right of access: the patient's whole record as a FHIR R4 Bundle ($everything)."""
    import json

    from acuback.interop.services import everything_bundle

    patient = _patient(request)
    bundle = everything_bundle(patient=patient,
                               base=request.build_absolute_uri("/fhir").rstrip("/"),
                               self_url=request.build_absolute_uri())
    audit_record(request=request, action="portal.download_record_fhir", patient=patient,
                 detail={"resources": bundle["total"]})
    response = HttpResponse(json.dumps(bundle, indent=1), content_type="application/fhir+json")
    response["Content-Disposition"] = (f'attachment; filename="record-{patient.mrn}-'
                                       f'{timezone.localdate()}.fhir.json"')
    return response


@login_required
@require_http_methods(["GET", "POST"])
def portal_corrections(request: HttpRequest) -> HttpResponse:
    """The patient asks for a correction of their record and sees the answers."""
    from acuback.patients.forms import CorrectionRequestForm

    patient = _patient(request)
    audit_read(request, patient)
    form = CorrectionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient_services.correction_request_create(patient=patient,
                                                   text=form.cleaned_data["text"],
                                                   request=request)
        messages.success(request, "Your request was sent. The clinic will answer within 60 "
                                  "days; the answer appears here.")
        return redirect("portal_corrections")
    return render(request, "portal/corrections.html", {
        "patient": patient, "form": form,
        "requests": patient.correction_requests.all()}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def public_book(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    """Online booking for someone new to the clinic: no account needed."""
    from acuback.accounts.models import Clinic

    from .forms import NewPatientForm

    clinic = get_object_or_404(Clinic, slug=clinic_slug)
    # A visitor has no account, so no zone of their own: the clinic's calendar for the
    # dates they give (the middleware resets the zone after the request).
    timezone.activate(zones.zone_of(clinic))
    data = request.POST if request.method == "POST" else (request.GET or None)
    search = BookingSearchForm(data, clinic=clinic, new_patient=True)
    details = NewPatientForm(request.POST if request.method == "POST" else None)
    options, problem, chosen = [], None, None
    if data is not None and search.is_valid():
        c = search.cleaned_data
        practitioner_id = data.get("practitioner")
        start_text = data.get("start")
        if practitioner_id and start_text:
            chosen = (Practitioner.objects.filter(clinic=clinic,
                                                  pk=param_id(practitioner_id)).first(),
                      start_text)
        if request.method == "POST" and chosen and chosen[0] and details.is_valid():
            wait = limits.retry_after(
                request, ("booking_per_clinic", clinic.slug),
                ("booking_per_client", limits.client_address(request)),
                ("booking_per_email", details.cleaned_data["email"].strip().lower()))
            if wait is not None:
                return limits.too_many_page(request, wait)
            start = parse_aware(start_text)
            try:
                if start is None:
                    raise services.PortalError("Choose a time from the list.")
                services.booking_request(clinic=clinic, details=details.cleaned_data,
                                         practitioner=chosen[0], location=c["location"],
                                         type=c["type"], start=start, request=request)
            except (services.PortalError, scheduling_services.BookingRefused) as exc:
                problem = str(exc)
            else:
                # The same page, hold and e-mail whether or not the address is known: the
                # link in the e-mail books (issue #25).
                return render(request, "portal/booking_requested.html", {
                    "clinic": clinic, "minutes": settings.ACUBACK_BOOKING_HOLD_MINUTES,
                    "practitioner": chosen[0], "location": c["location"], "type": c["type"],
                    "when": zones.local_text(start, c["location"])})
        if chosen is None or problem:
            options = _options(clinic, c)
    chosen_start = parse_aware(chosen[1]) if chosen else None
    return render(request, "portal/public_book.html", {
        "clinic": clinic, "form": search, "details": details, "options": options,
        "chosen": chosen, "problem": problem, "searched": search.is_bound and search.is_valid(),
        "zone_note": _zone_note(search),
        "chosen_when": zones.local_text(chosen_start, search.cleaned_data["location"])
        if chosen_start and search.is_valid() else "",
    }, status=400 if problem or (request.method == "POST" and details.errors) else 200)




@require_http_methods(["GET", "POST"])
def public_book_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link e-mailed for a held slot: a look shows the booking (a mail scanner that
    opens links books nothing), the button books it."""
    try:
        hold = services.held_slot(token)
        if request.method == "POST":
            appointment = services.booking_confirm(token=token, request=request)
            return render(request, "portal/booking_confirmed.html", {
                **_summary(appointment), "what_to_bring": services.WHAT_TO_BRING,
                "calendar_url": reverse("public_calendar_ics",
                                        args=[services.calendar_token(appointment)])})
    except services.PortalError as exc:
        return render(request, "portal/booking_confirm.html", {"problem": str(exc)},
                      status=400)
    return render(request, "portal/booking_confirm.html", {
        "hold": hold, "clinic": hold.clinic,
        "when": zones.local_text(hold.start, hold.location)})


@login_required
@require_http_methods(["GET", "POST"])
def portal_intake(request: HttpRequest) -> HttpResponse:
    """The patient answers the intake's health questions at home; a practitioner
    goes through them with the patient and signs. Clinician questions stay theirs."""
    from acuback.clinical.safety import InvalidAnswer, Outcome, answers_from_json, decide
    from acuback.screening import services as screening_services
    from acuback.screening.forms import IntakeForm, raise_on_field
    from acuback.screening.questions import CLINICIAN_FIELDS

    patient = _patient(request)
    draft = services.intake_draft(patient=patient, request=request)
    if draft is None:
        messages.info(request, "There is no intake waiting for you just now.")
        return redirect("home")
    form = IntakeForm(request.POST or None, stored=draft.answers, for_patient=True)
    emergency = False
    if request.method == "POST" and form.is_valid():
        answers = form.answers_json(patient=patient, episode=draft.episode,
                                    on=timezone.localdate())
        for name in CLINICIAN_FIELDS:  # keep what the clinician recorded
            answers[name] = draft.answers.get(name)
        try:
            decision = decide(answers_from_json(answers))
            screening_services.screening_save_draft(
                screening=draft, answers=answers, expected_version=draft.version,
                request=request)
        except InvalidAnswer as exc:
            raise_on_field(form, exc)
        except screening_services.ScreeningError as exc:
            form.add_error(None, str(exc))
        else:
            emergency = decision.outcome == Outcome.EMERGENCY
            if not emergency:
                messages.success(request, "Thank you: your answers are saved. Your "
                                 "practitioner will go through them with you.")
                return redirect("home")
            audit_record(request=request, action="portal.intake_emergency", patient=patient,
                         target=draft)
            # The same path as PHQ-9 item 9 (safety.md §2): the responsible clinician is
            # told at once, and no session starts until the follow-up is recorded.
            outcome_services.alert_raise(patient=patient, kind=AlertKind.INTAKE_EMERGENCY,
                                         screening=draft, request=request)
    return render(request, "portal/intake.html", {
        "patient": patient, "form": form, "emergency": emergency},
        status=400 if form.errors else 200)
