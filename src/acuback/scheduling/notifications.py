"""Reminders: planned into the outbox, sent by the worker, retried, failures kept.

`tick(now)` is the whole job: plan what is due, then send what is due. It is
safe to run twice (planning is idempotent: one reminder per appointment and
channel; sending claims each row before it sends, so no message goes out twice).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import icalendar
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from acuback.accounts import zones

from . import sms
from .models import (
    Appointment,
    AppointmentStatus,
    Notification,
    NotificationKind,
    NotificationStatus,
)

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# Planning looks this far ahead; a reminder is due reminder_hours_before the start.
PLANNING_HORIZON = timedelta(days=8)


def appointment_ics(appointment: Appointment) -> str:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//acuback//appointment//EN")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", f"appointment-{appointment.pk}@acuback")
    event.add("dtstamp", timezone.now())
    # On the location's clock, with its zone (TZID and a VTIMEZONE), as calendars show it.
    event.add("dtstart", zones.local(appointment.start, appointment.location))
    event.add("dtend", zones.local(appointment.end, appointment.location))
    event.add("summary", f"{appointment.type.name} — {appointment.clinic.name}")
    location = appointment.location
    event.add("location", f"{location.name}, {location.address_line1}, {location.city}")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


def plan_reminders(now: datetime) -> int:
    """One e-mail (and SMS when there is a phone) reminder per booked appointment."""
    created = 0
    upcoming = (Appointment.objects.filter(status=AppointmentStatus.BOOKED, start__gt=now,
                                           start__lte=now + PLANNING_HORIZON)
                .exclude(notifications__kind=NotificationKind.APPOINTMENT_REMINDER)
                .select_related("patient", "clinic", "location", "type", "practitioner"))
    for appointment in upcoming:
        patient = appointment.patient
        where = appointment.location
        due_at = max(now, appointment.start - timedelta(
            hours=appointment.clinic.reminder_hours_before))
        text = (f"Reminder: {appointment.type.name} with {appointment.practitioner.display_name}"
                f" on {zones.local_text(appointment.start, where)} at {where.name}, "
                f"{appointment.location.address_line1}. To change it, call "
                f"{appointment.clinic.phone or appointment.clinic.name}.")
        channels = []
        if patient.email:
            channels.append(("email", patient.email))
        if patient.phone and sms.enabled():
            channels.append(("sms", patient.phone))
        for channel, to in channels:
            try:
                with transaction.atomic():
                    Notification.objects.create(
                        clinic=appointment.clinic, patient=patient, appointment=appointment,
                        kind=NotificationKind.APPOINTMENT_REMINDER, channel=channel, to=to,
                        subject=f"{appointment.clinic.name}: your appointment on "
                                f"{zones.local(appointment.start, where):%-d %B}",
                        body=f"Hello {patient.given_name},\n\n{text}",
                        ics=appointment_ics(appointment) if channel == "email" else "",
                        due_at=due_at)
                created += 1
            except IntegrityError:
                continue  # planned by another tick meanwhile
    return created


INVITATION_INTERVAL = timedelta(days=7)  # do not invite to the same time point more often


def plan_questionnaire_invitations(now: datetime) -> int:
    """E-mail a questionnaire link for what the outcome schedule says is due.

    Covers baseline, review, discharge and the 3- and 6-month follow-ups (the
    follow-up reminders). One invitation per episode and time point per week.
    """
    from acuback.outcomes import selectors as outcome_selectors
    from acuback.outcomes import services as outcome_services
    from acuback.outcomes.models import Channel
    from acuback.outcomes.schedule import patient_answerable
    from acuback.patients.models import EpisodeOfCare

    recent = set(Notification.objects.filter(
        kind=NotificationKind.QUESTIONNAIRE_INVITATION,
        created_at__gte=now - INVITATION_INTERVAL).values_list("episode_id", "time_point"))
    created = 0
    episodes = (EpisodeOfCare.objects.exclude(patient__email="")
                .filter(patient__is_active=True).select_related("patient__clinic"))
    for episode in episodes:
        # Due by the clinic's calendar: `now` is UTC, and so is its date.
        for due in outcome_selectors.due_for(episode, zones.today_at(episode.patient.clinic,
                                                                     now)):
            own = list(patient_answerable(episode.patient.clinic, due.instruments))
            if not own or (episode.pk, due.time_point) in recent:
                continue
            with transaction.atomic():
                # Two workers planning at once invite once: the episode's row lock
                # (PostgreSQL; SQLite's write lock taken at BEGIN) makes the second wait,
                # then see the first one's invitation.
                EpisodeOfCare.objects.select_for_update().filter(pk=episode.pk).exists()
                if Notification.objects.filter(
                        kind=NotificationKind.QUESTIONNAIRE_INVITATION, episode=episode,
                        time_point=due.time_point,
                        created_at__gte=now - INVITATION_INTERVAL).exists():
                    continue
                link = outcome_services.link_create(episode=episode, instrument_ids=own,
                                                    time_point=due.time_point, request=None,
                                                    delivery=Channel.EMAIL)
                url = settings.ACUBACK_BASE_URL + outcome_services.link_url(None, link)
                patient = episode.patient
                Notification.objects.create(
                    clinic=patient.clinic, patient=patient, episode=episode,
                    time_point=due.time_point, kind=NotificationKind.QUESTIONNAIRE_INVITATION,
                    channel="email", to=patient.email, due_at=now,
                    subject=f"{patient.clinic.name}: a few questions about your back",
                    body=(f"Hello {patient.preferred_name or patient.given_name},\n\n"
                          f"Please answer a few short questions ({due.label.lower()}):\n{url}\n\n"
                          f"The link works once and expires in a week.\n\n{patient.clinic.name}"))
            created += 1
    return created


# A message claimed longer ago than this was being sent by a worker that stopped (or lost
# its database) before it could record the outcome.
CLAIM_TIMEOUT = timedelta(minutes=15)
STOPPED_WHILE_SENDING = ("The worker stopped while sending this message; it may or may not "
                         "have gone out, so it was not sent again.")


def plan_safety_alert(*, clinic, patient, recipients, subject: str, text: str,
                      link: str) -> int:
    """E-mail and SMS to each responsible clinician, due now (safety.md §2: real time,
    not an inbox). The message names no patient: the link opens the record after login."""
    now = timezone.now()
    url = settings.ACUBACK_BASE_URL + link
    rows = []
    for user in recipients:
        channels = [("email", user.email), ("sms", user.mobile_phone)]
        rows += [Notification(clinic=clinic, patient=patient, kind=NotificationKind.SAFETY_ALERT,
                              channel=channel, to=to, subject=subject,
                              body=f"{text}\n{url}", due_at=now)
                 for channel, to in channels if to]
    Notification.objects.bulk_create(rows)
    return len(rows)


def send_due(now: datetime) -> tuple[int, int]:
    """Send what is due; returns (sent, failed). A failure is retried with back-off.

    Each message is claimed (pending -> sending, committed at once so every other worker
    sees it), then sent, then marked: no message goes out twice, with any number of
    workers. A message too late to be of use is dropped, not sent."""
    sent = failed = 0
    failed += _fail_abandoned_claims(now)
    due = (Notification.objects.filter(status=NotificationStatus.PENDING, due_at__lte=now)
           .select_related("appointment").order_by("due_at")[:200])
    for notification in due:
        if not _claim(notification, now):
            continue  # another worker claimed it first
        reason = _too_late(notification, now)
        if reason:
            Notification.objects.filter(pk=notification.pk).update(
                status=NotificationStatus.EXPIRED, last_error=reason)
            continue
        if notification.appointment_id and notification.appointment.status != \
                AppointmentStatus.BOOKED:
            Notification.objects.filter(pk=notification.pk).update(
                status=NotificationStatus.CANCELLED)
            continue
        try:
            _deliver(notification)
        except _Permanent as exc:
            _fail(notification, str(exc), final=True)
            failed += 1
        except Exception as exc:  # noqa: BLE001 - any delivery error is retried, then shown
            logger.warning("notification %s failed: %s", notification.pk, type(exc).__name__)
            _fail(notification, f"{type(exc).__name__}: {exc}",
                  final=notification.attempts >= MAX_ATTEMPTS, now=now)
            failed += 1
        else:
            Notification.objects.filter(pk=notification.pk).update(
                status=NotificationStatus.SENT, sent_at=timezone.now(), last_error="")
            sent += 1
    return sent, failed


def _claim(notification: Notification, now: datetime) -> bool:
    """pending -> sending in one conditional UPDATE (autocommit: visible to every worker at
    once); False when another worker got there first."""
    claimed = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if claimed:
        notification.refresh_from_db(fields=["attempts", "status", "claimed_at"])
    return bool(claimed)


def _too_late(notification: Notification, now: datetime) -> str:
    """Why the message is no longer worth sending ("" when it still is)."""
    if notification.kind == NotificationKind.APPOINTMENT_REMINDER and \
            notification.appointment_id and notification.appointment.start <= now:
        return "Not sent: the appointment had already started when the worker came to send it."
    if notification.kind == NotificationKind.QUESTIONNAIRE_INVITATION and \
            notification.created_at <= now - INVITATION_INTERVAL:
        return "Not sent: a week old, so a new invitation replaces it."
    return ""


def _fail_abandoned_claims(now: datetime) -> int:
    """Messages a stopped worker had claimed: shown as failed to the clinic admin rather
    than sent again (whether they went out is unknown, and twice is worse than a
    visible failure)."""
    return Notification.objects.filter(status=NotificationStatus.SENDING,
                                       claimed_at__lt=now - CLAIM_TIMEOUT).update(
        status=NotificationStatus.FAILED, last_error=STOPPED_WHILE_SENDING)


class _Permanent(Exception):
    """A failure that retrying cannot fix (an invalid address)."""


def _deliver(notification: Notification) -> None:
    if notification.channel == "email":
        try:
            validate_email(notification.to)
        except ValidationError:
            raise _Permanent(f"Invalid e-mail address: {notification.to!r}") from None
        message = EmailMessage(subject=notification.subject, body=notification.body,
                               from_email=settings.DEFAULT_FROM_EMAIL, to=[notification.to])
        if notification.ics:
            message.attach("appointment.ics", notification.ics, "text/calendar")
        message.send(fail_silently=False)
    elif not sms.enabled():  # planned before text messages were turned off
        raise _Permanent("Not sent: text messages are turned off (ACUBACK_SMS_BACKEND=none).")
    else:
        sms.get_backend().send(notification.to, notification.body)


def _fail(notification: Notification, error: str, *, final: bool,
          now: datetime | None = None) -> None:
    fields = {"last_error": error[:2000], "claimed_at": None}
    if final:
        fields["status"] = NotificationStatus.FAILED
    else:
        fields["status"] = NotificationStatus.PENDING
        # 5, 10, 20, 40 minutes: a mail server that is down gets time to come back.
        fields["due_at"] = (now or timezone.now()) + timedelta(
            minutes=5 * 2 ** (notification.attempts - 1))
    Notification.objects.filter(pk=notification.pk).update(**fields)


def tick(now: datetime | None = None, *, invitations: bool = True) -> dict:
    now = now or timezone.now()
    planned = plan_reminders(now)
    if invitations:
        planned += plan_questionnaire_invitations(now)
    sent, failed = send_due(now)
    return {"planned": planned, "sent": sent, "failed": failed}
