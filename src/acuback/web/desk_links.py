"""The front desk sends a patient the link a visit still needs (issue #28 §3, "send
the link"): the intake (the portal's health questions) or the questionnaires due, by
e-mail to the address on the record, through the outbox (the worker sends it and retries),
audited. What the desk is told says what happened, in words."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from acuback.accounts import zones
from acuback.audit.services import audit_record
from acuback.outcomes import selectors as outcome_selectors
from acuback.outcomes import services as outcome_services
from acuback.outcomes.models import Channel
from acuback.outcomes.schedule import patient_answerable
from acuback.patients.models import EpisodeStatus
from acuback.scheduling.models import Appointment, Notification, NotificationKind


class NotSent(Exception):
    """Nothing was sent; the message says why and what to do instead."""


def _masked(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}…@{domain}"


def link_send_for_visit(*, appointment: Appointment, kind: str, request: HttpRequest) -> str:
    """Queue the e-mail and return what the desk is told; NotSent says why not."""
    patient = appointment.patient
    if kind not in ("intake", "questionnaires"):
        raise NotSent("Choose the intake or the questionnaires.")
    if not patient.email:
        raise NotSent(f"There is no e-mail address on {patient.full_name}'s record: add one, "
                      "or hand the forms over at the desk.")
    episode = patient.episodes.exclude(status=EpisodeStatus.DISCHARGED).order_by("-pk").first()
    if episode is None:
        raise NotSent(f"{patient.full_name} has no open episode of care: a practitioner "
                      "opens one first.")
    clinic = patient.clinic
    greeting = f"Hello {patient.preferred_name or patient.given_name},"
    with transaction.atomic():
        if kind == "intake":
            if patient.portal_user_id is None:
                raise NotSent(f"{patient.full_name} has no portal account yet: the intake "
                              "is answered at the desk.")
            subject = f"{clinic.name}: health questions before your visit"
            body = (f"{greeting}\n\nBefore your visit, please answer a few questions about "
                    f"your back and your health. Log in with this e-mail address at\n"
                    f"{settings.ACUBACK_BASE_URL}{reverse('portal_login')}\nand choose "
                    f"'Answer the health questions'.\n\n{clinic.name}")
            time_point = ""
        else:
            today = zones.today_at(appointment.location)
            due = next(iter(outcome_selectors.due_for(episode, today)), None)
            own = list(patient_answerable(clinic, due.instruments)) if due else []
            if not own:
                raise NotSent("No questionnaire a patient can answer is due just now.")
            link = outcome_services.link_create(episode=episode, instrument_ids=own,
                                                time_point=due.time_point, request=request,
                                                delivery=Channel.EMAIL)
            subject = f"{clinic.name}: a few questions about your back"
            body = (f"{greeting}\n\nPlease answer a few short questions "
                    f"({due.label.lower()}):\n{outcome_services.link_url(request, link)}\n\n"
                    f"The link works once.\n\n{clinic.name}")
            time_point = due.time_point
        Notification.objects.create(
            clinic=clinic, patient=patient, episode=episode, time_point=time_point,
            kind=NotificationKind.QUESTIONNAIRE_INVITATION, channel="email", to=patient.email,
            due_at=timezone.now(), subject=subject, body=body)
        audit_record(request=request, action="frontdesk.send_link", patient=patient,
                     target=appointment, detail={"kind": kind})
    what = "The intake link" if kind == "intake" else "The questionnaire link"
    return (f"{what} for {patient.full_name} is on its way to {_masked(patient.email)} "
            "(sent within a minute).")
