"""Questionnaire responses with their stored scores, collection links, licensed
wording, per-clinic schedules and outcome alerts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from acuback.accounts.models import Clinic
from acuback.patients.models import EpisodeOfCare, Patient


class TimePoint(models.TextChoices):
    BASELINE = "baseline", "Baseline (intake)"
    REVIEW = "review", "Review"
    DISCHARGE = "discharge", "Discharge"
    FOLLOW_UP_3M = "follow_up_3m", "Follow-up at 3 months"
    FOLLOW_UP_6M = "follow_up_6m", "Follow-up at 6 months"
    OTHER = "other", "Other"


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class CompletedBy(models.TextChoices):
    PATIENT = "patient", "Patient"
    STAFF = "staff", "Staff on the patient's behalf"


class Channel(models.TextChoices):
    """How a questionnaire reached the patient (a link's delivery; a response's channel).
    A link goes only to the contact details on the patient's record, or is handed over in
    person by someone recorded as handing it over (issue #25)."""

    STAFF = "staff", "Entered by staff"
    EMAIL = "email", "Link e-mailed to the address on the patient's record"
    IN_PERSON = "in_person", "Link handed over in person"
    PORTAL = "portal", "The patient's own portal log-in"


class Wording(models.TextChoices):
    FULL = "full", "Full wording (licence allows)"
    LICENSED = "licensed", "Clinic's licensed wording"
    PARAPHRASE = "paraphrase", "Paraphrase of each item's topic"


class ResponseQuerySet(models.QuerySet["QuestionnaireResponse"]):
    def visible_to(self, user) -> ResponseQuerySet:
        """Responses the user may see without breaking the glass (patients.care)."""
        from acuback.patients.care import clinical_scope

        return self.filter(clinical_scope(user))

    def current(self) -> ResponseQuerySet:
        """Submitted, and not superseded by a correction."""
        return self.filter(status=ResponseStatus.SUBMITTED, corrections__isnull=True)


def current_sql(alias: str) -> str:
    """``current()`` as SQL about the response aliased `alias`, for the written-out reads
    (acuback.sql): one text of the rule beside the ORM's, tested against it."""
    from django.db import connection

    table = connection.ops.quote_name(QuestionnaireResponse._meta.db_table)
    return (f"{alias}.status = '{ResponseStatus.SUBMITTED.value}' AND NOT EXISTS "  # noqa: S608 - names and a constant from the model  # nosec B608
            f"(SELECT 1 FROM {table} c WHERE c.supersedes_id = {alias}.id)")


class QuestionnaireResponse(models.Model):
    """One completion of one instrument. Immutable once submitted; a correction is a
    new response that supersedes it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="responses")
    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT,
                                related_name="responses")
    instrument = models.CharField(max_length=20)
    instrument_version = models.CharField(max_length=40)
    scorer_version = models.CharField(max_length=40)
    time_point = models.CharField(max_length=20, choices=TimePoint.choices)
    status = models.CharField(max_length=10, choices=ResponseStatus.choices,
                              default=ResponseStatus.DRAFT)
    answers = models.JSONField(default=dict)
    # PSFS: the activities the patient named, by item number.
    item_labels = models.JSONField(default=dict, blank=True)
    total = models.FloatField(null=True, blank=True)
    subscores = models.JSONField(default=dict, blank=True)
    band = models.CharField(max_length=60, blank=True)
    score_note = models.CharField(max_length=200, blank=True)
    wording = models.CharField(max_length=12, choices=Wording.choices)
    completed_by = models.CharField(max_length=10, choices=CompletedBy.choices)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    link = models.ForeignKey("CollectionLink", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="responses")
    # Who invited the patient (the link's maker) and how the answers came in; blank on
    # responses stored before this was recorded.
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    supersedes = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="corrections")
    correction_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["submitted_at", "pk"]
        indexes = [
            # Per-episode lookups (the dashboard's correlated subqueries): all equality
            # columns first, so the planner prefers it over the clinic-wide index below.
            models.Index(fields=["episode", "instrument", "time_point", "status"],
                         name="response_episode_idx"),
            models.Index(fields=["instrument", "time_point", "status"],
                         name="response_analytics_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["supersedes"], condition=Q(supersedes__isnull=False),
                                    name="one_correction_per_response"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.get_time_point_display()} — {self.patient}"


class CollectionLink(models.Model):
    """A signed, expiring, single-use link to a set of questionnaires."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="links")
    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="links")
    instruments = models.JSONField()
    time_point = models.CharField(max_length=20, choices=TimePoint.choices)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The address on the patient's record it was e-mailed to (EMAIL), if any.
    sent_to = models.EmailField(blank=True)
    delivery = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Link for {self.patient} ({', '.join(self.instruments)})"


class InstrumentText(models.Model):
    """A clinic's licensed wording for an instrument, loaded with `acuback instruments load-text`."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="instrument_texts")
    instrument = models.CharField(max_length=20)
    version = models.CharField(max_length=40)
    language = models.CharField(max_length=20, default="en")
    copyright = models.TextField(blank=True)
    items = models.JSONField(help_text='{"1": {"text": "...", "options": {"0": "..."}}}')
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "instrument"],
                                               name="one_text_per_instrument")]

    def __str__(self) -> str:
        return f"{self.instrument} wording for {self.clinic}"


class OutcomeSchedule(models.Model):
    """When a clinic collects what. Without a row, DEFAULT_SCHEDULE applies."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE,
                                  related_name="outcome_schedule")
    baseline = models.JSONField()
    review = models.JSONField()
    discharge = models.JSONField()
    follow_up = models.JSONField()
    review_every_sessions = models.PositiveSmallIntegerField(default=4)
    review_every_days = models.PositiveSmallIntegerField(default=14)
    not_improving_after_sessions = models.PositiveSmallIntegerField(default=6)
    link_valid_days = models.PositiveSmallIntegerField(default=7)

    def __str__(self) -> str:
        return f"Outcome schedule of {self.clinic}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from acuback.clinical import instruments

        errors = {}
        for name in ("baseline", "review", "discharge", "follow_up"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[name] = 'Give a list of instrument ids, e.g. ["nrs", "odi"].'
                continue
            unknown = [v for v in value if v not in instruments.REGISTRY]
            if unknown:
                errors[name] = f"Unknown instrument: {', '.join(unknown)}."
        if errors:
            raise ValidationError(errors)


class AlertKind(models.TextChoices):
    SELF_HARM = "self_harm", "PHQ-9 item 9: thoughts of self-harm"
    INTAKE_EMERGENCY = "intake_emergency", "Home intake: emergency red flag"


class OutcomeAlert(models.Model):
    """A safety alert that needs same-day follow-up by a clinician (safety.md §2): PHQ-9
    item 9, or an emergency red flag in an intake answered at home. While open it
    blocks starting a session; the responsible clinician is notified at once."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outcome_alerts")
    response = models.ForeignKey(QuestionnaireResponse, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="alerts")
    screening = models.ForeignKey("screening.Screening", on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="alerts")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    # Who was notified: the patient's practitioner, else the clinic's admin.
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                        null=True, blank=True, related_name="+")
    follow_up_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.patient}"


class EpisodeMeasure(models.Model):
    """Derived, never edited by hand: one episode's current scores on one instrument
    reduced by ``clinical.episode_measures`` (recomputed whenever a response of the
    episode is submitted or corrected), so the dashboard aggregates one row per episode."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.CASCADE,
                                related_name="measures")
    instrument = models.CharField(max_length=20)
    baseline = models.FloatField(null=True)
    baseline_at = models.DateTimeField(null=True)
    review = models.FloatField(null=True)
    discharge = models.FloatField(null=True)
    follow_up_3m = models.FloatField(null=True)
    follow_up_6m = models.FloatField(null=True)
    latest = models.FloatField(null=True)
    week_8 = models.FloatField(null=True)
    week_26 = models.FloatField(null=True)
    week_52 = models.FloatField(null=True)
    rule_version = models.CharField(max_length=40)
    # The one responder rule (clinical.responders) against the baseline, per time point.
    responder_review = models.BooleanField(null=True)
    responder_discharge = models.BooleanField(null=True)
    responder_follow_up_3m = models.BooleanField(null=True)
    responder_follow_up_6m = models.BooleanField(null=True)
    responder_latest = models.BooleanField(null=True)
    responder_rule_version = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["episode", "instrument"],
                                    name="one_measure_per_episode_instrument"),
        ]
        indexes = [models.Index(fields=["instrument", "episode"], name="measure_instrument_idx")]

    def __str__(self) -> str:
        return f"{self.instrument} of episode {self.episode_id}"
