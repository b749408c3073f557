"""The patient's side: magic-link login, own bookings, cancellations."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from acuback.accounts import zones
from acuback.audit.services import audit_record
from acuback.base_url import absolute_url
from acuback.patients.models import Patient
from acuback.patients.selectors import likely_duplicates
from acuback.scheduling import services as scheduling_services
from acuback.scheduling.models import Appointment, AppointmentStatus

MAGIC_SALT = "acuback.portal.magic"
MAGIC_MAX_AGE = 15 * 60  # seconds


class PortalError(Exception):
    pass


def magic_link_send(*, email: str, request: HttpRequest) -> None:
    """E-mail a login link if a patient account has this address; say nothing either way."""
    user = (get_user_model().objects.filter(email__iexact=email.strip(), is_active=True,
                                            patient_record__isnull=False).first())
    if user is None:
        return
    token = magic_link_token(user)
    url = absolute_url(reverse("portal_magic", args=[token]))
    send_mail(subject="Your acuback login link",
              message=f"Open this link within 15 minutes to log in:\n{url}\n\n"
                      "If you did not ask for it, ignore this e-mail.",
              from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[user.email])


def magic_link_token(user) -> str:
    """The token carries the last login: once used (which updates it), it stops working."""
    return signing.dumps({"u": user.pk, "l": user.last_login.isoformat()
                          if user.last_login else ""}, salt=MAGIC_SALT)


def magic_link_user(token: str):
    """The user a magic link logs in, or PortalError saying why not."""
    try:
        data = signing.loads(token, salt=MAGIC_SALT, max_age=MAGIC_MAX_AGE)
    except signing.SignatureExpired:
        raise PortalError("This login link has expired: ask for a new one.") from None
    except signing.BadSignature:
        raise PortalError("This login link is not valid: ask for a new one.") from None
    users = get_user_model().objects.filter(pk=data.get("u"), is_active=True)
    user = users.first()
    last = user.last_login.isoformat() if user and user.last_login else ""
    # Claimed in one conditional UPDATE of the last login the token carries: of two
    # requests with the same link, only the first finds it unchanged (log-in then sets it
    # again).
    if user is None or last != data.get("l") or not users.filter(
            last_login=user.last_login).update(last_login=timezone.now()):
        raise PortalError("This login link has already been used: ask for a new one.")
    return user


def own_patient(user) -> Patient | None:
    return Patient.objects.visible_to(user).filter(portal_user=user).select_related(
        "clinic").first()


def can_change(appointment: Appointment, now=None) -> bool:
    now = now or timezone.now()
    notice = timedelta(hours=appointment.clinic.cancellation_notice_hours)
    return appointment.status == AppointmentStatus.BOOKED and appointment.start - notice > now


def patient_cancel(*, appointment: Appointment, request: HttpRequest) -> None:
    if not can_change(appointment):
        hours = appointment.clinic.cancellation_notice_hours
        raise PortalError(f"Online changes close {hours} hours before the appointment: please "
                          f"call {appointment.clinic.phone or 'the clinic'}.")
    scheduling_services.appointment_transition(appointment=appointment, action="cancel",
                                               request=request,
                                               reason="Cancelled by the patient online")


def patient_reschedule(*, appointment: Appointment, start, request: HttpRequest) -> Appointment:
    """Book the new time first, then cancel the old one, in one transaction."""
    if not can_change(appointment):
        raise PortalError("Online changes are closed for this appointment: please call "
                          "the clinic.")
    with transaction.atomic():
        new = scheduling_services.appointment_book(
            patient=appointment.patient, practitioner=appointment.practitioner,
            location=appointment.location, type=appointment.type, start=start, request=request)
        scheduling_services.appointment_transition(
            appointment=appointment, action="cancel", request=request,
            reason="Moved by the patient online")
        audit_record(request=request, action="portal.reschedule", patient=appointment.patient,
                     target=new)
    return new


def new_patient_book(*, clinic, details: dict, practitioner, location, type, start,
                     request: HttpRequest) -> Appointment | None:
    """A new patient books online: record, portal account, episode, booking, intake link.

    All or nothing: if the slot is gone, no patient record is left behind. An address the
    clinic already knows books nothing and returns None; its owner is told by e-mail, so
    the page (the same either way) tells a stranger nothing about the address.
    """
    from acuback.accounts.models import Membership, Role
    from acuback.outcomes import selectors as outcome_selectors
    from acuback.outcomes import services as outcome_services
    from acuback.outcomes.models import Channel
    from acuback.outcomes.schedule import patient_answerable
    from acuback.patients.models import EpisodeOfCare

    email = details["email"].strip().lower()
    user_model = get_user_model()
    # The slot first, for every address alike: a refusal here says nothing about the address.
    problem = scheduling_services.slot_refusal(practitioner=practitioner, location=location,
                                               type=type, start=start)
    if problem:
        raise PortalError(problem)
    if likely_duplicates(clinic=clinic, email=email).exists() or \
            user_model.objects.filter(username__iexact=email).exists():
        _known_address_notice(clinic=clinic, email=email, type=type, location=location,
                              start=start)
        return None
    with transaction.atomic():
        user = user_model.objects.create_user(username=email, email=email,
                                              first_name=details["given_name"],
                                              last_name=details["family_name"])
        user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, clinic=clinic, role=Role.PATIENT)
        from acuback.patients import services as patient_services

        patient = patient_services.patient_create(clinic=clinic, request=request, data={
            "given_name": details["given_name"], "family_name": details["family_name"],
            "date_of_birth": details["date_of_birth"], "email": email,
            "phone": details.get("phone", ""), "mrn": ""})
        patient.portal_user = user
        patient.save(update_fields=["portal_user"])
        today = zones.today_at(location)  # the visitor's request carries no clinic zone
        episode = EpisodeOfCare.objects.create(patient=patient, onset_date=details["onset_date"],
                                               opened_on=today, created_by=user)
        appointment = scheduling_services.appointment_book(
            patient=patient, practitioner=practitioner, location=location, type=type,
            start=start, request=request)
        due = next((d for d in outcome_selectors.due_for(episode, today)
                    if d.time_point == "baseline"), None)
        link = outcome_services.link_create(
            episode=episode, time_point="baseline", request=request, delivery=Channel.EMAIL,
            instrument_ids=list(patient_answerable(clinic, due.instruments))) \
            if due and patient_answerable(clinic, due.instruments) else None
    lines = [f"Hello {patient.given_name},", "",
             f"You are booked: {type.name} with {practitioner.display_name} on "
             f"{zones.local_text(appointment.start, location)} at {location.name}, "
             f"{location.address_line1}.", ""]
    if link is not None:
        lines += ["Before your visit, please answer a few questions about your back:",
                  outcome_services.link_url(request, link), ""]
    lines += ["To see or change your booking, log in with your e-mail address at "
              f"{absolute_url(reverse('portal_login'))}", "", clinic.name]
    send_mail(subject=f"{clinic.name}: your appointment and intake", message="\n".join(lines),
              from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[email])
    return appointment


def _known_address_notice(*, clinic, email: str, type, location, start) -> None:
    """Tell the owner of a known address that a new-patient booking was asked for with it.
    Only the clinic's own words: nothing the person at the form typed is passed on."""
    send_mail(subject=f"{clinic.name}: your booking request", message="\n".join([
        "Hello,", "",
        f"Someone, perhaps you, asked to book {type.name} on "
        f"{zones.local_text(start, location)} at "
        f"{location.name} as a new patient, with this e-mail address. We already have a "
        "record for this address, so nothing was booked.", "",
        "To book, log in with your e-mail address at "
        f"{absolute_url(reverse('portal_login'))} (we send you a link), or call the clinic. "
        "If it was not you, you need do nothing.", "", clinic.name]),
        from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[email])


def intake_draft(*, patient: Patient, request: HttpRequest):
    """The unsigned intake of the patient's open episode, started if needed; None if
    the episode's intake is already signed or there is no open episode."""
    from acuback.patients.models import EpisodeStatus
    from acuback.screening import services as screening_services
    from acuback.screening.models import Screening, ScreeningKind, ScreeningStatus

    episode = patient.episodes.exclude(status=EpisodeStatus.DISCHARGED).first()
    if episode is None or Screening.objects.filter(
            episode=episode, status=ScreeningStatus.SIGNED).exists():
        return None
    draft = Screening.objects.filter(episode=episode, kind=ScreeningKind.INTAKE,
                                     status=ScreeningStatus.DRAFT).first()
    return draft or screening_services.screening_start(episode=episode,
                                                       kind=ScreeningKind.INTAKE,
                                                       request=request)
