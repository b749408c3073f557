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
from acuback.scheduling.models import Appointment, AppointmentStatus, BookedVia

MAGIC_SALT = "acuback.portal.magic"
MAGIC_MAX_AGE = 15 * 60  # seconds


class PortalError(Exception):
    pass


def magic_link_send(*, email: str, request: HttpRequest) -> None:
    """Queue a log-in link for the patient account with this address. The request does the
    same work for every address (it only queues what was asked; the worker looks the
    address up and sends: login_link_send), so neither the answer nor the time it takes
    says whether the address has an account (issue #25)."""
    from .tasks import login_link_send as queued

    queued.enqueue(email=email.strip())


def login_link_send(*, email: str) -> int:
    """In the worker: e-mail a log-in link if a patient account has this address; how many
    were sent (0 or 1)."""
    user = (get_user_model().objects.filter(email__iexact=email.strip(), is_active=True,
                                            patient_record__isnull=False).first())
    if user is None:
        return 0
    token = magic_link_token(user)
    url = absolute_url(reverse("portal_magic", args=[token]))
    send_mail(subject="Your acuback login link",
              message=f"Open this link within 15 minutes to log in:\n{url}\n\n"
                      "If you did not ask for it, ignore this e-mail.",
              from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[user.email])
    return 1


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


# What a patient brings to a visit, on the confirmation page (project rule: what the
# intake, the consent and billing ask for at the desk).
WHAT_TO_BRING = (
    "A photo ID.",
    "Your insurance card, if your visit is billed to insurance.",
    "A list of the medicines you take, with their doses (blood thinners especially).",
    "Loose, comfortable clothing: your practitioner needs to reach your lower back "
    "and legs.",
)

CALENDAR_SALT = "acuback.portal.calendar"
CALENDAR_LINK_DAYS = 120  # a booked visit is at most the booking horizon ahead


def calendar_token(appointment: Appointment) -> str:
    """The add-to-calendar link of a booking confirmed without a log-in."""
    return signing.dumps({"a": appointment.pk}, salt=CALENDAR_SALT)


def calendar_appointment(token: str) -> Appointment:
    try:
        data = signing.loads(token, salt=CALENDAR_SALT, max_age=CALENDAR_LINK_DAYS * 86400)
    except signing.BadSignature:
        raise PortalError("This calendar link is not valid or has expired.") from None
    appointment = Appointment.objects.select_related(
        "location", "clinic", "type", "practitioner", "patient").filter(pk=data.get("a")).first()
    if appointment is None:
        raise PortalError("This calendar link is not valid or has expired.")
    return appointment


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
    """Move the visit to another time with the same practitioner: recorded as moved, as
    the desk's move is (scheduling.services.appointment_move), and audited there."""
    if not can_change(appointment):
        raise PortalError("Online changes are closed for this appointment: please call "
                          "the clinic.")
    return scheduling_services.appointment_move(
        appointment=appointment, practitioner=appointment.practitioner, start=start,
        request=request, booked_via=BookedVia.PORTAL, patient_confirmed=True)


HOLD_SALT = "acuback.portal.hold"


class NoOnlineBooking(Exception):
    """The address cannot be booked online (told only to its inbox, after the link)."""


def booking_request(*, clinic, details: dict, practitioner, location, type, start,
                    request: HttpRequest) -> None:
    """A visitor asks for a slot on the public booking page: hold it and e-mail the
    address given a link that books it (ACUBACK_BOOKING_HOLD_MINUTES).

    The same for every address, known to the clinic or not: the same page, the same hold
    (so the same slot list afterwards), the same e-mail and the same work (the address is
    not even looked up here). Whether it books into an existing record or a new one is
    decided when the link is used, from the address's own inbox.
    """
    if len({clinic.pk, practitioner.clinic_id, location.clinic_id, type.clinic_id}) != 1:
        raise PortalError("Choose a practitioner, location and type of this clinic.")
    email = details["email"].strip().lower()
    typed = {"given_name": details["given_name"], "family_name": details["family_name"],
             "date_of_birth": details["date_of_birth"].isoformat(),
             "onset_date": details["onset_date"].isoformat(),
             "phone": details.get("phone", "")}
    hold = scheduling_services.slot_hold(practitioner=practitioner, location=location,
                                         type=type, start=start, email=email, details=typed,
                                         request=request)
    url = absolute_url(reverse("public_book_confirm",
                               args=[signing.dumps({"h": hold.pk}, salt=HOLD_SALT)]))
    minutes = settings.ACUBACK_BOOKING_HOLD_MINUTES
    # Only the clinic's own words: nothing the person at the form typed is passed on.
    send_mail(subject=f"{clinic.name}: confirm your booking", message="\n".join([
        "Hello,", "",
        f"Someone, perhaps you, asked to book {type.name} with {practitioner.display_name} "
        f"on {zones.local_text(start, location)} at {location.name}, {location.address_line1}, "
        "with this e-mail address.", "",
        f"The time is kept for you for {minutes} minutes. To book it, open this link and "
        f"confirm:\n{url}", "",
        "If it was not you, you need do nothing: the time is freed again.", "",
        clinic.name]),
        from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[email])


def held_slot(token: str):
    """The live hold a confirmation link points at, or PortalError saying why not."""
    from acuback.scheduling.models import SlotHold

    max_age = settings.ACUBACK_BOOKING_HOLD_MINUTES * 60
    try:
        data = signing.loads(token, salt=HOLD_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise PortalError(_HOLD_EXPIRED) from None
    except signing.BadSignature:
        raise PortalError("This booking link is not valid: book again.") from None
    hold = SlotHold.objects.select_related("clinic", "location", "practitioner", "type") \
        .filter(pk=data.get("h")).first()
    if hold is None or hold.released_at is not None:
        raise PortalError("This booking link has already been used: look in your e-mail "
                          "for the booking, or book again.")
    if hold.expires_at <= timezone.now():
        raise PortalError(_HOLD_EXPIRED)
    return hold


_HOLD_EXPIRED = "This booking link has expired and the time was freed: book again."


def booking_confirm(*, token: str, request: HttpRequest) -> Appointment:
    """The link e-mailed for a held slot is used: book it, into the record that has this
    address (never a second record for it) or a new one. Once only; all or nothing.
    If it cannot be booked, the slot is freed and PortalError says why."""
    from acuback.scheduling.models import SlotHold

    hold = held_slot(token)
    try:
        with transaction.atomic():
            # Claimed in one conditional UPDATE: of two uses of one link, one books.
            if not SlotHold.objects.live().filter(pk=hold.pk).update(
                    released_at=timezone.now()):
                raise PortalError("This booking link has already been used.")
            patient = _record_for(hold)
            if patient is None:
                appointment, link = _new_patient_book(hold, request)
            else:
                appointment, link = scheduling_services.appointment_book(
                    patient=patient, practitioner=hold.practitioner, location=hold.location,
                    type=hold.type, start=hold.start, request=request,
                    booked_via=BookedVia.PUBLIC, patient_confirmed=True), None
            audit_record(request=request, action="booking.confirm", patient=appointment.patient,
                         target=appointment, detail={"hold": hold.pk})
    except (NoOnlineBooking, scheduling_services.BookingRefused) as exc:
        SlotHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
            released_at=timezone.now())
        reason = str(exc) if isinstance(exc, scheduling_services.BookingRefused) else \
            "We cannot book online with this address."
        raise PortalError(f"{reason} Nothing was booked: please call "
                          f"{hold.clinic.phone or 'the clinic'}.") from None
    _booked_mail(appointment, link, request)
    return appointment


def _record_for(hold):
    """The clinic's record with the hold's address, or None for a new patient. An address
    that belongs to an account but to no record here, or to several records with none
    of them its own portal account, is not booked online (the clinic sorts it out)."""
    records = list(likely_duplicates(clinic=hold.clinic, email=hold.email)
                   .select_related("portal_user").order_by("pk"))
    own = [p for p in records if p.portal_user and p.portal_user.email.lower() == hold.email]
    if len(own) == 1 or len(records) == 1:
        return (own or records)[0]
    if records or get_user_model().objects.filter(username__iexact=hold.email).exists():
        raise NoOnlineBooking(hold.email)
    return None


def _new_patient_book(hold, request: HttpRequest):
    """A new patient's record, portal account, episode, booking and intake link."""
    from datetime import date

    from acuback.accounts.models import Membership, Role
    from acuback.outcomes import selectors as outcome_selectors
    from acuback.outcomes import services as outcome_services
    from acuback.outcomes.models import Channel
    from acuback.outcomes.schedule import patient_answerable
    from acuback.patients import services as patient_services
    from acuback.patients.models import EpisodeOfCare

    clinic, details, email = hold.clinic, hold.details, hold.email
    user = get_user_model().objects.create_user(username=email, email=email,
                                                first_name=details["given_name"],
                                                last_name=details["family_name"])
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, clinic=clinic, role=Role.PATIENT)
    patient = patient_services.patient_create(clinic=clinic, request=request, data={
        "given_name": details["given_name"], "family_name": details["family_name"],
        "date_of_birth": date.fromisoformat(details["date_of_birth"]), "email": email,
        "phone": details.get("phone", ""), "mrn": ""})
    patient.portal_user = user
    patient.save(update_fields=["portal_user"])
    today = zones.today_at(hold.location)  # the visitor's request carries no clinic zone
    episode = EpisodeOfCare.objects.create(
        patient=patient, onset_date=date.fromisoformat(details["onset_date"]),
        opened_on=today, created_by=user)
    appointment = scheduling_services.appointment_book(
        patient=patient, practitioner=hold.practitioner, location=hold.location,
        type=hold.type, start=hold.start, request=request, booked_via=BookedVia.PUBLIC,
        patient_confirmed=True)
    due = next((d for d in outcome_selectors.due_for(episode, today)
                if d.time_point == "baseline"), None)
    link = outcome_services.link_create(
        episode=episode, time_point="baseline", request=request, delivery=Channel.EMAIL,
        instrument_ids=list(patient_answerable(clinic, due.instruments))) \
        if due and patient_answerable(clinic, due.instruments) else None
    return appointment, link


def _booked_mail(appointment: Appointment, link, request: HttpRequest) -> None:
    from acuback.outcomes import services as outcome_services

    patient, location, clinic = appointment.patient, appointment.location, appointment.clinic
    lines = [f"Hello {patient.given_name},", "",
             f"You are booked: {appointment.type.name} with "
             f"{appointment.practitioner.display_name} on "
             f"{zones.local_text(appointment.start, location)} at {location.name}, "
             f"{location.address_line1}.", ""]
    if link is not None:
        lines += ["Before your visit, please answer a few questions about your back:",
                  outcome_services.link_url(request, link), ""]
    lines += ["To see or change your booking, log in with your e-mail address at "
              f"{absolute_url(reverse('portal_login'))}", "", clinic.name]
    send_mail(subject=f"{clinic.name}: your appointment and intake", message="\n".join(lines),
              from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[patient.email])


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
