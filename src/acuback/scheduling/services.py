"""Booking and the life of an appointment. One transaction each, audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from acuback.accounts import zones
from acuback.accounts.models import Location, Practitioner
from acuback.audit.services import audit_record
from acuback.client_address import client_ip
from acuback.patients.models import Patient

from . import selectors, slots
from .models import Appointment, AppointmentStatus, AppointmentType, BookedVia, SlotHold


class BookingRefused(Exception):
    """The booking cannot be made; the message says why."""


def slot_refusal(*, practitioner: Practitioner, location: Location, type: AppointmentType,
                 start: datetime, check_free: bool = True) -> str | None:
    """Why this slot cannot be booked with anyone (past, another clinic, type withdrawn,
    practitioner not cleared, outside availability or taken), or None. With check_free,
    without the lock appointment_book takes: a look before booking, not a promise."""
    if start <= timezone.now():
        return "That time is in the past."
    if len({practitioner.clinic_id, location.clinic_id, type.clinic_id}) != 1:
        return "Patient, practitioner, location and type must be of one clinic."
    if not type.is_active:
        return "That appointment type is no longer offered."
    tz = zones.zone_of(location)
    day = start.astimezone(tz).date()
    clearance = practitioner.clearance_at(location, day)
    if not clearance.cleared:
        return (f"{practitioner.display_name} is not cleared to needle at "
                f"{location.name} on that day: {clearance.reason}.")
    if check_free:
        return slots.fits(start, selectors.open_intervals(practitioner, location, day),
                          selectors.busy_for(practitioner, day, tz),
                          duration=type.duration, buffer=type.buffer) or None
    return None


def slot_hold(*, practitioner: Practitioner, location: Location, type: AppointmentType,
              start: datetime, email: str, details: dict, request: HttpRequest | None,
              ) -> SlotHold:
    """Hold a slot for a public booking request until its link is used or it expires
    (ACUBACK_BOOKING_HOLD_MINUTES), or refuse with the reason, as a booking would be."""
    problem = slot_refusal(practitioner=practitioner, location=location, type=type,
                           start=start, check_free=False)  # checked below, under the lock
    if problem:
        raise BookingRefused(problem)
    tz = zones.zone_of(location)
    client = client_ip(request)
    with transaction.atomic():
        _refuse_hoarding(email=email, client=client)
        # The same lock as a booking: a hold and a booking never take one slot twice.
        Practitioner.objects.select_for_update().filter(pk=practitioner.pk).first()
        problem = slots.fits(start, selectors.open_intervals(practitioner, location,
                                                             start.astimezone(tz).date()),
                             selectors.busy_for(practitioner, start.astimezone(tz).date(), tz),
                             duration=type.duration, buffer=type.buffer)
        if problem:
            raise BookingRefused(problem)
        hold = SlotHold.objects.create(
            clinic_id=location.clinic_id, location=location, practitioner=practitioner,
            type=type, start=start, busy_until=start + type.duration + type.buffer,
            email=email, client_address=client, details=details,
            expires_at=timezone.now() + timedelta(minutes=settings.ACUBACK_BOOKING_HOLD_MINUTES))
        audit_record(request=request, action="booking.hold", clinic=location.clinic_id,
                     target=hold)
    return hold


HOARDING = ("There are already times held for this e-mail address or from this "
            "connection, waiting for confirmation: confirm them from the e-mail we sent, or "
            "ask again when they expire ({minutes} minutes after they were asked for).")


def _refuse_hoarding(*, email: str, client: str | None) -> None:
    """At most ACUBACK_BOOKING_HOLDS_PER_EMAIL unconfirmed holds per e-mail address and
    ACUBACK_BOOKING_HOLDS_PER_CLIENT per client address (a project rule): one visitor
    cannot keep a clinic's calendar held. Only holds are counted, never the clinic's
    records, so the answer is the same whether or not the address is known."""
    live = SlotHold.objects.live()
    if live.filter(email__iexact=email).count() >= settings.ACUBACK_BOOKING_HOLDS_PER_EMAIL or (
            client and live.filter(client_address=client).count()
            >= settings.ACUBACK_BOOKING_HOLDS_PER_CLIENT):
        raise BookingRefused(HOARDING.format(minutes=settings.ACUBACK_BOOKING_HOLD_MINUTES))


def appointment_book(*, patient: Patient, practitioner: Practitioner, location: Location,
                     type: AppointmentType, start: datetime, request: HttpRequest | None,
                     booked_via: str = BookedVia.DESK, patient_confirmed: bool = False,
                     ) -> Appointment:
    """Book, or refuse with the reason: past, another clinic, not cleared, outside
    availability, or taken. Two requests for one slot: one booking, one refusal.
    `patient_confirmed`: the patient confirmed it themselves (from the record's inbox or
    logged in to the portal), which makes a public booking a care relationship."""
    if patient.clinic_id != practitioner.clinic_id:
        raise BookingRefused("Patient, practitioner, location and type must be of one clinic.")
    if patient.archived_at is not None:
        raise BookingRefused("This patient's record is archived: the clinic admin can restore "
                             "it first.")
    problem = slot_refusal(practitioner=practitioner, location=location, type=type,
                           start=start, check_free=False)  # checked below, under the lock
    if problem:
        raise BookingRefused(problem)
    tz = zones.zone_of(location)
    day = start.astimezone(tz).date()
    try:
        with transaction.atomic():
            # Serialise bookings of this practitioner: the second request waits here,
            # then sees the first booking and is refused.
            Practitioner.objects.select_for_update().filter(pk=practitioner.pk).first()
            problem = slots.fits(start, selectors.open_intervals(practitioner, location, day),
                                 selectors.busy_for(practitioner, day, tz),
                                 duration=type.duration, buffer=type.buffer)
            if problem:
                raise BookingRefused(problem)
            _refuse_patient_conflict(patient, start, start + type.duration)
            appointment = Appointment.objects.create(
                clinic_id=location.clinic_id, location=location, practitioner=practitioner,
                patient=patient, type=type, start=start, end=start + type.duration,
                busy_until=start + type.duration + type.buffer,
                booked_by=request.user if request and request.user.is_authenticated else None,
                booked_via=booked_via,
                patient_confirmed_at=timezone.now() if patient_confirmed else None)
            audit_record(request=request, action="appointment.book", patient=patient,
                         target=appointment)
    except IntegrityError:
        raise BookingRefused("That slot has just been taken: choose another time.") from None
    return appointment


def _refuse_patient_conflict(patient: Patient, start: datetime, end: datetime) -> None:
    """A patient is in one place at a time: refuse a visit that overlaps another of theirs
    (with any practitioner, at any location). The patient's row is locked first, so two
    bookings of one patient with two practitioners at once are decided one after the other."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    clash = (Appointment.objects.active().filter(patient=patient, start__lt=end, end__gt=start)
             .select_related("practitioner", "location").order_by("start").first())
    if clash is not None:
        where = clash.location
        raise BookingRefused(
            f"{patient.full_name} already has a visit then: "
            f"{zones.local(clash.start, where):%H:%M}–{zones.local(clash.end, where):%H:%M} "
            f"{zones.zone_name(clash.start, where)} with {clash.practitioner.display_name} "
            f"at {where.name}.")


def appointment_move(*, appointment: Appointment, practitioner: Practitioner, start: datetime,
                     request: HttpRequest, location: Location | None = None,
                     booked_via: str = BookedVia.DESK,
                     patient_confirmed: bool = False) -> Appointment:
    """Move a booked visit (staff, or the patient online with `booked_via` PORTAL) to
    another time or practitioner at its location, with every check of a booking (past,
    clearance that day, availability, taken, the patient's own other visits;
    ``location``, when the caller names one, must be its own), or refuse with the reason
    and leave it as it was. The old row becomes MOVED, pointing at the new one
    (moved_to), in one transaction: a visit's history is kept, not rewritten, and a move
    is not counted as a cancellation."""
    if appointment.status != AppointmentStatus.BOOKED:
        raise BookingRefused(f"This appointment is {appointment.get_status_display()}: "
                             "only a booked visit can be moved.")
    where = appointment.location
    if location is not None and location.pk != where.pk:
        raise BookingRefused(f"A visit stays at {where.name} when it is moved: cancel it and "
                             f"book a new one at {location.name}.")
    with transaction.atomic():
        old = Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.BOOKED)
        # Its slot is given up first, so a move within the same hour fits.
        if not old.update(status=AppointmentStatus.MOVED, updated_at=timezone.now(),
                          cancel_reason=f"Moved to {zones.local_text(start, where)} with "
                                        f"{practitioner.display_name}"):
            raise BookingRefused("This appointment has just been changed: look again.")
        moved = appointment_book(patient=appointment.patient, practitioner=practitioner,
                                 location=where, type=appointment.type, start=start,
                                 request=request, booked_via=booked_via,
                                 patient_confirmed=patient_confirmed)  # refuses: rolls back
        Appointment.objects.filter(pk=appointment.pk).update(moved_to=moved)
        audit_record(request=request, action="appointment.move", patient=appointment.patient,
                     target=moved, detail={"from": appointment.pk,
                                           "from_start": appointment.start.isoformat(),
                                           "to_start": start.isoformat()})
    appointment.refresh_from_db()
    return moved


TRANSITIONS = {
    "check_in": ((AppointmentStatus.BOOKED,), AppointmentStatus.CHECKED_IN),
    "complete": ((AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
                 AppointmentStatus.COMPLETED),
    "no_show": ((AppointmentStatus.BOOKED,), AppointmentStatus.NO_SHOW),
    "cancel": ((AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
               AppointmentStatus.CANCELLED),
}
# What happened at the visit is recorded on its day only (the location's calendar), and
# can be undone that day: a slip of the finger at the desk is put right, not lived with.
SAME_DAY_ACTIONS = {"check_in": "Check-in", "complete": "Completion", "no_show": "A no-show"}
UNDOABLE = (AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED,
            AppointmentStatus.NO_SHOW)


def _require_visit_day(appointment: Appointment, what: str) -> None:
    location = appointment.location
    if not slots.on_visit_day(appointment.start, timezone.now(), zones.zone_of(location)):
        raise BookingRefused(
            f"{what} is possible only on the day of the visit "
            f"({zones.local(appointment.start, location):%A %-d %B}); it is "
            f"{zones.today_at(location):%A %-d %B} at {location.name}.")


def appointment_transition(*, appointment: Appointment, action: str, request: HttpRequest,
                           reason: str = "") -> Appointment:
    if action == "undo":
        return appointment_undo(appointment=appointment, request=request)
    if action not in TRANSITIONS:
        raise BookingRefused("Unknown action.")
    allowed_from, new_status = TRANSITIONS[action]
    if action == "cancel" and not reason.strip():
        raise BookingRefused("Give the reason for the cancellation.")
    if action in SAME_DAY_ACTIONS:
        _require_visit_day(appointment, SAME_DAY_ACTIONS[action])
    fields = {"status": new_status, "updated_at": timezone.now()}
    if action == "check_in":
        fields["checked_in_at"] = timezone.now()
        fields["checked_in_by"] = request.user if request.user.is_authenticated else None
    if action == "cancel":
        fields["cancel_reason"] = reason.strip()
    with transaction.atomic():
        if not Appointment.objects.filter(pk=appointment.pk,
                                          status__in=allowed_from).update(**fields):
            raise BookingRefused(f"This appointment is {appointment.get_status_display()}: "
                                 f"it cannot become {new_status.label} now.")
        audit_record(request=request, action=f"appointment.{action}",
                     patient=appointment.patient, target=appointment)
    appointment.refresh_from_db()
    return appointment


def appointment_undo(*, appointment: Appointment, request: HttpRequest) -> Appointment:
    """Take back a check-in, a completion or a no-show, on the visit's day: a completed
    visit goes back to checked in (or booked, if it never was), the others to booked."""
    appointment.refresh_from_db()
    status = appointment.status
    if status not in UNDOABLE:
        raise BookingRefused(f"This appointment is {appointment.get_status_display()}: "
                             "there is nothing to undo.")
    _require_visit_day(appointment, "Undo")
    back = AppointmentStatus.CHECKED_IN if (status == AppointmentStatus.COMPLETED
                                            and appointment.checked_in_at) \
        else AppointmentStatus.BOOKED
    fields = {"status": back, "updated_at": timezone.now()}
    if back == AppointmentStatus.BOOKED:
        fields["checked_in_at"] = None
        fields["checked_in_by"] = None
    try:
        with transaction.atomic():
            if not Appointment.objects.filter(pk=appointment.pk, status=status).update(**fields):
                raise BookingRefused("This appointment has just been changed: look again.")
            audit_record(request=request, action="appointment.undo",
                         patient=appointment.patient, target=appointment,
                         detail={"from": status, "to": back})
    except IntegrityError:  # a no-show's slot booked again meanwhile
        raise BookingRefused("That time has been booked again since: book a new "
                             "appointment instead.") from None
    appointment.refresh_from_db()
    return appointment
