"""The home page, which differs by role."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from acuback.accounts import policy
from acuback.accounts.models import Practitioner, Role
from acuback.accounts.selectors import credential_row, credentials_needing_attention
from acuback.audit.services import audit_record
from acuback.outcomes.schedule import waiting_for_wording
from acuback.outcomes.selectors import (
    due_for,
    open_alerts,
    patient_due,
    questionnaires_due_for_practitioner,
)
from acuback.patients.models import Patient
from acuback.patients.selectors import consent_status
from acuback.portal.services import can_change
from acuback.scheduling import home as day_home
from acuback.scheduling.models import Notification, NotificationStatus
from acuback.treatment.selectors import alerts_for_admin
from acuback.web import mailbox as dev_mailbox
from acuback.web.worker import worker_status


@login_required
def ping(request: HttpRequest) -> HttpResponse:
    """The smallest authenticated page: the whole middleware stack and a session, nothing
    else. A health check for a logged-in browser, and the benchmarks' yardstick."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
def mailbox(request: HttpRequest) -> HttpResponse:
    """The developer's mailbox (web/mailbox.py): only where messages go there, only for a
    clinic admin (the messages are every clinic's)."""
    if not dev_mailbox.in_use():
        raise Http404("No mailbox: e-mail and SMS go to their real backends.")
    if not (request.user.is_superuser or policy.can_anywhere(request.user, "registry.manage")):
        raise PermissionDenied("The mailbox is for a clinic admin.")
    found = dev_mailbox.messages()
    audit_record(request=request, action="mailbox.view", detail={"messages": len(found)})
    return render(request, "web/mailbox.html", {"mailbox_messages": found,
                                                "folder": dev_mailbox.folder()})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    context: dict = {"today": today}
    if policy.is_staff_member(user):
        clinic = policy.home_clinic(user)
        context["clinic"] = clinic
        context["roles"] = [Role(r).label for r in sorted(policy.roles(user, clinic))]
        context["can_create"] = policy.can(user, "patient.create", clinic)
        context["recent_patients"] = (
            Patient.objects.visible_to(user).filter(clinic=clinic).order_by("-created_at")[:8]
        )
        practitioner = Practitioner.objects.filter(user=user).prefetch_related(
            "credentials"
        ).first()
        context["practitioner"] = practitioner
        if practitioner is not None:
            context["own_credentials"] = [
                credential_row(c, today) for c in practitioner.credentials.all()
            ]
        context["outcome_alerts"] = list(open_alerts(user=user))
        if practitioner is not None:
            # Issue #28 §3: the clinician's emergencies first, then their day in order.
            context["emergency_referrals"] = day_home.open_emergency_referrals(
                user=user, practitioner=practitioner)
            context["my_day"] = day_home.todays_visits(clinic=clinic, user=user,
                                                         practitioner=practitioner)
        elif policy.can(user, "schedule.book", clinic):
            context["arrivals"] = day_home.todays_visits(clinic=clinic, user=user)
        if practitioner is not None:
            context["questionnaires_due"] = questionnaires_due_for_practitioner(
                practitioner=practitioner, on=today)
        if policy.can(user, "adverse_event.acknowledge", clinic):
            context["ae_alerts"] = list(alerts_for_admin(user=user))
            worker = worker_status()
            context["worker_late"] = worker.describe() if worker.late else ""
            context["failed_notifications"] = list(
                Notification.objects.filter(clinic=clinic, status=NotificationStatus.FAILED)
                .select_related("patient").order_by("-due_at")[:10])
            from acuback.audit.models import AuditEvent
            from acuback.patients.care import GRANT_ACTION

            # The grants, each with its reason (the reads under them carry the flag too,
            # in the audit log).
            context["break_glass"] = list(
                AuditEvent.objects.filter(clinic=clinic, break_glass=True, action=GRANT_ACTION,
                                          at__gte=timezone.now() - timedelta(days=7))
                .select_related("patient").order_by("-at")[:10])
        if policy.can(user, "registry.manage", clinic):
            context["waiting_for_wording"] = waiting_for_wording(clinic)
            context["attention"] = credentials_needing_attention(user=user, on=today)
            context["patient_count"] = Patient.objects.visible_to(user).filter(
                clinic=clinic, is_active=True
            ).count()
        return render(request, "web/home_staff.html", context)

    patient = Patient.objects.visible_to(user).select_related("clinic").first()
    if patient is not None:
        audit_record(request=request, action="portal.view_own", patient=patient, target=patient)
        context["patient"] = patient
        context["consents"] = consent_status(patient=patient)
        context["due"] = [(e, own) for e in patient.episodes.exclude(status="discharged")
                          for d in due_for(e, today)
                          if (own := patient_due(d, patient.clinic)) is not None]
        appointments = list(patient.appointments.select_related(
            "practitioner", "location", "type", "clinic").order_by("start"))
        now = timezone.now()
        context["upcoming"] = [(a, can_change(a)) for a in appointments
                               if a.start >= now and a.status == "booked"]
        context["past"] = [a for a in appointments if a.start < now][-5:]
        context["intake_waiting"] = patient.episodes.exclude(status="discharged").exclude(
            screenings__status="signed").exists()
    return render(request, "web/home_patient.html", context)


@login_required
@require_POST
def visit_send_link(request: HttpRequest, appointment_pk: int, kind: str) -> HttpResponse:
    """"Send the link" beside a need on the arrivals list (issue #28 §3): e-mailed to the
    address on the record, rate-limited per patient, the result said on the home page."""
    from acuback.outcomes.services import OutcomeError
    from acuback.scheduling.models import Appointment
    from acuback.web import desk_links, limits

    appointment = get_object_or_404(Appointment.objects.visible_to(request.user)
                                     .select_related("patient__clinic", "location", "clinic"),
                                     pk=appointment_pk)
    policy.require(request.user, "outcome.send_link", appointment.clinic)
    wait = limits.retry_after(request, ("desk_link_per_patient", str(appointment.patient_id)))
    if wait is not None:
        return limits.too_many_page(request, wait)
    try:
        messages.success(request, desk_links.link_send_for_visit(
            appointment=appointment, kind=kind, request=request))
    except (desk_links.NotSent, OutcomeError) as exc:
        messages.error(request, f"Not sent: {exc}")
    return redirect(reverse("home") + "#arrivals")
