"""Appointment types, availability (weekly templates and exceptions), appointments."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from acuback.accounts import policy
from acuback.accounts.models import Clinic, Location, Practitioner
from acuback.patients.models import Patient


class AppointmentKind(models.TextChoices):
    INITIAL = "initial", "Initial assessment"
    FOLLOW_UP = "follow_up", "Follow-up"
    RE_EVALUATION = "re_evaluation", "Re-evaluation"


class AppointmentType(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointment_types")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=AppointmentKind.choices)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(240)])
    buffer_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(120)],
        help_text="Time kept free after the appointment (notes, room turnover).")
    bookable_online = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "kind", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_minutes} min)"

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)


class WeeklyAvailability(models.Model):
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE,
                                     related_name="weekly_availability")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=[(0, "Monday"), (1, "Tuesday"),
                                                        (2, "Wednesday"), (3, "Thursday"),
                                                        (4, "Friday"), (5, "Saturday"),
                                                        (6, "Sunday")])
    start_time = models.TimeField()
    end_time = models.TimeField()
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["practitioner", "weekday", "start_time"]
        verbose_name_plural = "weekly availability"

    def __str__(self) -> str:
        return f"{self.practitioner} {self.get_weekday_display()} {self.start_time:%H:%M}–" \
               f"{self.end_time:%H:%M} at {self.location.name}"

    def clean(self):
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": "The end is before the start."})
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "The last day is before the first day."})
        if self.practitioner_id and self.location_id and \
                self.location.clinic_id != self.practitioner.clinic_id:
            raise ValidationError({"location": "The location belongs to another clinic."})


class ExceptionKind(models.TextChoices):
    CLOSED = "closed", "Not available (leave, holiday)"
    EXTRA = "extra", "Extra hours"


class AvailabilityException(models.Model):
    """A date off or extra hours; with no practitioner, a holiday of the whole location."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, null=True,
                                     blank=True, related_name="availability_exceptions")
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=ExceptionKind.choices,
                            default=ExceptionKind.CLOSED)
    start_time = models.TimeField(null=True, blank=True, help_text="Empty: the whole day.")
    end_time = models.TimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        indexes = [models.Index(fields=["location", "date"], name="availability_exc_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date} {self.reason}"

    def clean(self):
        if (self.start_time is None) != (self.end_time is None):
            raise ValidationError({"end_time": "Give both times, or neither for the whole day."})
        if self.start_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": "The end is before the start."})
        if self.kind == ExceptionKind.EXTRA and (self.start_time is None or
                                                 self.practitioner_id is None):
            raise ValidationError({"start_time": "Extra hours need a practitioner and times."})


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"
    # Moved to another time or practitioner (moved_to): not a cancellation (issue #28 §7).
    MOVED = "moved", "Moved"


ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN,
                   AppointmentStatus.COMPLETED)


class BookedVia(models.TextChoices):
    DESK = "desk", "The clinic (front desk or practitioner)"
    PORTAL = "portal", "The patient, logged in to the portal"
    PUBLIC = "public", "The public booking page"


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def visible_to(self, user) -> AppointmentQuerySet:
        return self.filter(clinic_id__in=policy.clinic_ids_with(user, "schedule.view"))

    def active(self) -> AppointmentQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)


class Appointment(models.Model):
    """Stored in UTC; shown in the location's time zone."""

    # Indexed with the start below (the clinic's day view); no index on its own.
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments",
                               db_index=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT,
                                     related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    busy_until = models.DateTimeField(help_text="End plus the type's buffer.")
    status = models.CharField(max_length=12, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.BOOKED)
    cancel_reason = models.CharField(max_length=300, blank=True)
    moved_to = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="moved_from",
                                    help_text="The appointment this one was moved to.")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    # Who booked, who checked the visit in, and whether the patient confirmed it from the
    # record's own inbox: a visit is a care relationship only once someone other than
    # its practitioner stands behind it (patients.care).
    booked_via = models.CharField(max_length=10, choices=BookedVia.choices,
                                  default=BookedVia.DESK)
    patient_confirmed_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["practitioner", "start"], name="appt_practitioner_idx"),
                   models.Index(fields=["location", "start"], name="appt_location_idx"),
                   # The day and week views: one clinic's visits in a time range (by
                   # location, PostgreSQL read every clinic's visits of the day: 5.8 -> 1.5 ms).
                   models.Index(fields=["clinic", "start"], name="appt_clinic_start_idx")]
        constraints = [
            # The database's own guard against the same slot twice (the service also
            # locks the practitioner row and checks overlaps of any length).
            models.UniqueConstraint(fields=["practitioner", "start"],
                                    condition=Q(status__in=["booked", "checked_in", "completed"]),
                                    name="one_active_appointment_per_start"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")),
                                   name="appointment_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} {self.patient} with {self.practitioner}"


class SlotHoldQuerySet(models.QuerySet["SlotHold"]):
    def live(self, now=None) -> SlotHoldQuerySet:
        """Holds that still keep their slot: neither used nor expired."""
        return self.filter(released_at__isnull=True, expires_at__gt=now or timezone.now())


class SlotHold(models.Model):
    """A slot asked for on the public booking page, kept for whoever asked until the link
    e-mailed to the address given is used (then it becomes an appointment) or the hold
    expires. Every address is held alike, known to the clinic or not: the slot list
    after a request says nothing about the address (issue #25). The details typed are
    kept only until then (the housekeeping deletes expired holds)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE,
                                     related_name="slot_holds")
    type = models.ForeignKey(AppointmentType, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    busy_until = models.DateTimeField(help_text="End plus the type's buffer.")
    email = models.EmailField()
    # Where the request came from: unconfirmed holds are limited per address and per client.
    client_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, help_text="What the visitor typed.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    # Set once, when the link is used (booked or not) or the slot is given up.
    released_at = models.DateTimeField(null=True, blank=True)

    objects = SlotHoldQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["practitioner", "start"], name="slot_hold_idx")]

    def __str__(self) -> str:
        return f"Hold {self.start:%Y-%m-%d %H:%M} with {self.practitioner}"


class NotificationKind(models.TextChoices):
    APPOINTMENT_REMINDER = "appointment_reminder", "Appointment reminder"
    QUESTIONNAIRE_INVITATION = "questionnaire_invitation", "Questionnaire invitation"
    SAFETY_ALERT = "safety_alert", "Safety alert to the responsible clinician"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    # Claimed by one worker, which is sending it now: no other worker picks it up.
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    # Too late to be of use when a worker came to send it (the appointment had started).
    EXPIRED = "expired", "Expired"


class Notification(models.Model):
    """The outbox: every message the worker must send, with its attempts and errors."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="notifications")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="notifications")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, null=True,
                                    blank=True, related_name="notifications")
    # Questionnaire invitations: which episode and time point they invite to.
    episode = models.ForeignKey("patients.EpisodeOfCare", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="+")
    time_point = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    channel = models.CharField(max_length=10, choices=[("email", "E-mail"), ("sms", "SMS")])
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    ics = models.TextField(blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=NotificationStatus.choices,
                              default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="notification_due_idx")]
        constraints = [models.UniqueConstraint(
            fields=["appointment", "kind", "channel"], condition=Q(appointment__isnull=False),
            name="one_notification_per_appointment_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to} ({self.get_status_display()})"
