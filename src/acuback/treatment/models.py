"""Treatment plans, sessions (STRICTA 2010 fields), needling, addenda, adverse events.

Field names follow the STRICTA mapping of docs/reference/safety.md §8. A signed
session is immutable: services refuse, and database triggers (migration 0002)
refuse any UPDATE or DELETE of a signed session or of its needling rows.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from acuback.accounts.models import Location, Practitioner
from acuback.clinical import adjuncts as adjunct_rules
from acuback.patients.care import clinical_scope
from acuback.patients.models import EpisodeOfCare, Patient
from acuback.screening.models import Screening
from acuback.signing import SignedModel, SignedQuerySet


class Style(models.TextChoices):
    TCM = "tcm", "Traditional Chinese medicine"
    WESTERN = "western", "Western medical"
    JAPANESE = "japanese", "Japanese"
    KOREAN = "korean", "Korean"
    FIVE_ELEMENT = "five_element", "Five Element"
    AURICULAR = "auricular", "Auricular"
    OTHER = "other", "Other"


class Individualisation(models.TextChoices):
    STANDARDISED = "standardised", "Standardised"
    SEMI = "semi", "Semi-standardised"
    INDIVIDUALISED = "individualised", "Individualised"


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BILATERAL = "bilateral", "Bilateral"
    MIDLINE = "midline", "Midline"


class ScopedQuerySet(SignedQuerySet):
    def visible_to(self, user):
        """What the user may see without breaking the glass (patients.care)."""
        return self.filter(clinical_scope(user))


class TreatmentPlan(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="plans")
    style = models.CharField(max_length=20, choices=Style.choices)
    style_other = models.CharField("other style", max_length=100, blank=True)
    rationale = models.TextField(help_text="Reasoning for the treatment, with references.")
    individualisation = models.CharField(max_length=20, choices=Individualisation.choices,
                                         default=Individualisation.INDIVIDUALISED)
    planned_sessions = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(60)])
    sessions_per_week = models.DecimalField(
        max_digits=3, decimal_places=1,
        validators=[MinValueValidator(0.5), MaxValueValidator(7)])
    # [{"code": "BL23", "side": "bilateral"}, {"location": "Ashi, L3 left", "side": "left"}]
    prescription = models.JSONField(default=list)
    planned_electroacupuncture = models.BooleanField(default=False)
    # [{"code": "BL23", "side": "bilateral", "paired_with": "BL25", "paired_side": ""}]:
    # every planned electrical stimulation names its lead pair (safety.md §3.3).
    ea_pairs = models.JSONField("electroacupuncture pairs", default=list, blank=True)
    # The prescribed points whose cautions (safety.md §5) the planner acknowledged.
    caution_acknowledgements = models.JSONField("point cautions acknowledged", default=list,
                                                blank=True)
    # [{"kind": "cupping", "region": "lower_back"}] (clinical.adjuncts); a bare kind was
    # recorded before the region was asked.
    adjuncts = models.JSONField(default=list, blank=True)
    adjunct_other = models.CharField(max_length=200, blank=True)
    goals = models.TextField(blank=True)
    review_date = models.DateField()
    is_current = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["episode"], condition=Q(is_current=True),
                                               name="one_current_plan_per_episode")]

    def __str__(self) -> str:
        return f"{self.get_style_display()} plan — {self.patient}"

    @property
    def adjunct_labels(self) -> list[str]:
        return [adjunct_rules.describe(e) for e in adjunct_rules.normalise(self.adjuncts)]


class ChestCheck(models.TextChoices):
    """Before a patient needled on the chest wall, upper back or supraclavicular fossa
    leaves (safety.md §5)."""

    NOT_RECORDED = "", "Not recorded"
    CLEAR = "clear", "No chest pain, breathlessness or cough; advised to seek care if they appear"
    SYMPTOMS = "symptoms", "Chest pain, breathlessness or cough: suspected pneumothorax"


class SessionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class Session(SignedModel):
    """One treatment encounter."""

    SIGNATURE_FIELDS = ("status", "signed_by", "signed_at")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="sessions")
    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="sessions")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="sessions")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT,
                                     related_name="sessions")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="sessions")
    session_date = models.DateField()
    pre_treatment_check = models.ForeignKey(Screening, on_delete=models.PROTECT, null=True,
                                            blank=True, related_name="+")
    subjective = models.TextField(blank=True)
    objective = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    plan_notes = models.TextField("plan", blank=True)
    deviation_from_plan = models.TextField(blank=True)
    patient_information_given = models.TextField(blank=True)
    pain_before = models.PositiveSmallIntegerField(null=True, blank=True,
                                                   validators=[MaxValueValidator(10)])
    pain_after = models.PositiveSmallIntegerField(null=True, blank=True,
                                                  validators=[MaxValueValidator(10)])
    adjuncts = models.JSONField(default=list, blank=True)
    needles_inserted = models.PositiveSmallIntegerField(default=0)
    needles_removed = models.PositiveSmallIntegerField(default=0)
    electroacupuncture = models.BooleanField(default=False)
    acknowledgements = models.JSONField(default=list, blank=True)
    chest_check = models.CharField("pneumothorax symptom check", max_length=10,
                                   choices=ChestCheck.choices, blank=True)
    # Stored at signing with the rule version, so billing and dashboards read them in SQL.
    cpt_codes = models.JSONField(default=dict, blank=True)
    cpt_rule_version = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=SessionStatus.choices,
                              default=SessionStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-session_date", "-pk"]
        indexes = [models.Index(fields=["patient", "session_date"], name="session_patient_idx"),
                   models.Index(fields=["status", "signed_at"], name="session_signed_idx"),
                   # An episode's signed sessions in date order (outcomes page, dashboard);
                   # without it SQLite walks the status index over every signed session.
                   models.Index(fields=["episode", "status", "session_date"],
                                name="session_episode_idx"),
                   # A practitioner's recent sessions (their home page's questionnaires
                   # due): the practitioner's index alone read all 5,000 of theirs.
                   models.Index(fields=["practitioner", "session_date"],
                                name="session_practitioner_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(needles_removed__lte=models.F("needles_inserted")),
                                   name="removed_not_above_inserted"),
        ]

    def __str__(self) -> str:
        return f"Session {self.session_date:%Y-%m-%d} — {self.patient}"

    @property
    def is_signed(self) -> bool:
        return self.status == SessionStatus.SIGNED

    @property
    def adjunct_labels(self) -> list[str]:
        """"Cupping (lower back)", as the note shows them."""
        return [adjunct_rules.describe(e) for e in adjunct_rules.normalise(self.adjuncts)]

    def validate_constraints(self, exclude=None):
        # Django skips a check that names an excluded field, but only after building its
        # query (0.3 ms on every session form, which leaves the needle counts out): when
        # every check would be skipped, skip them before.
        if exclude and all(isinstance(c, models.CheckConstraint)
                           and Q(c.condition).referenced_base_fields & set(exclude)
                           for c in self._meta.constraints):
            return
        super().validate_constraints(exclude)


class Position(models.TextChoices):
    PRONE = "prone", "Prone"
    SUPINE = "supine", "Supine"
    SIDE = "side", "Side-lying"
    SEATED = "seated", "Seated"


class NeedleSet(models.Model):
    """The first insertion and each re-insertion, in order; CPT units come from these."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="needle_sets")
    order = models.PositiveSmallIntegerField()
    position = models.CharField(max_length=10, choices=Position.choices, blank=True)
    face_to_face_minutes = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(120)])
    electrical = models.BooleanField(default=False)

    class Meta:
        ordering = ["session", "order"]
        constraints = [models.UniqueConstraint(fields=["session", "order"],
                                               name="needle_set_order")]

    def __str__(self) -> str:
        return f"Set {self.order}"


class Material(models.TextChoices):
    STAINLESS = "stainless_steel", "Stainless steel"
    TITANIUM = "titanium", "Titanium"
    GOLD = "gold", "Gold-plated"
    SILVER = "silver", "Silver"
    OTHER = "other", "Other"


class Response(models.TextChoices):
    DEQI = "deqi", "De qi"
    TWITCH = "twitch", "Muscle twitch"
    NONE = "none", "None sought"


class Stimulation(models.TextChoices):
    NONE = "none", "None"
    MANUAL = "manual", "Manual"
    ELECTRICAL = "electrical", "Electrical"


class Angle(models.TextChoices):
    PERPENDICULAR = "perpendicular", "Perpendicular"
    OBLIQUE = "oblique", "Oblique"
    HORIZONTAL = "horizontal", "Horizontal"


class PairedSide(models.TextChoices):
    SAME = "", "Same side"
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    MIDLINE = "midline", "Midline"


class Insertion(models.Model):
    """One needle site (STRICTA 2b–2g)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="insertions")
    needle_set = models.PositiveSmallIntegerField(default=1, help_text="Which needle set.")
    point_code = models.CharField(max_length=12, blank=True)
    location_text = models.CharField(max_length=120, blank=True,
                                     help_text="Non-standard or Ashi point location.")
    side = models.CharField(max_length=10, choices=Side.choices)
    depth_mm = models.DecimalField(max_digits=4, decimal_places=1,
                                   validators=[MinValueValidator(0), MaxValueValidator(100)])
    # Blank only on rows recorded before the angle was asked for; every save asks it.
    angle = models.CharField(max_length=14, choices=Angle.choices, blank=True)
    # Deeper than the point's ceiling, or perpendicular where its caution asks for
    # oblique (acuback.clinical.points): the practitioner's explicit acknowledgement.
    caution_acknowledged = models.BooleanField(default=False)
    gauge_mm = models.DecimalField("needle diameter (mm)", max_digits=3, decimal_places=2,
                                   validators=[MinValueValidator(0.1), MaxValueValidator(0.5)])
    length_mm = models.PositiveSmallIntegerField(validators=[MinValueValidator(5),
                                                             MaxValueValidator(150)])
    material = models.CharField(max_length=20, choices=Material.choices,
                                default=Material.STAINLESS)
    response_sought = models.CharField(max_length=10, choices=Response.choices,
                                       default=Response.DEQI)
    response_obtained = models.BooleanField(default=False)
    stimulation = models.CharField(max_length=12, choices=Stimulation.choices,
                                   default=Stimulation.MANUAL)
    manual_technique = models.CharField(max_length=100, blank=True)
    frequency_hz = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True,
                                       validators=[MinValueValidator(1), MaxValueValidator(200)])
    intensity = models.CharField(max_length=60, blank=True)
    paired_with = models.CharField(max_length=12, blank=True,
                                   help_text="Point code of the electrode pair.")
    paired_side = models.CharField(max_length=10, choices=PairedSide.choices, blank=True)
    retention_minutes = models.PositiveSmallIntegerField(validators=[MaxValueValidator(120)])
    needles = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["session", "needle_set", "pk"]

    def __str__(self) -> str:
        return f"{self.point_code or self.location_text} ({self.side})"

    @property
    def label(self) -> str:
        where = self.point_code or f"Ashi: {self.location_text}"
        side = {"left": " L", "right": " R", "bilateral": " bilat."}.get(self.side, "")
        return f"{where}{side}"


class Addendum(SignedModel):
    """A correction or addition to a signed session; never edited."""

    SIGNED_ON_CREATE = True  # written by its author through the addendum service only
    SIGNATURE_FIELDS = ("session", "text", "author", "created_at")

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SignedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return f"Addendum {self.created_at:%Y-%m-%d %H:%M}"


class AEType(models.TextChoices):
    BLEEDING = "bleeding", "Bleeding or bruising"
    PAIN = "needling_pain", "Needling pain"
    AGGRAVATION = "aggravation", "Symptom aggravation"
    DIZZINESS = "dizziness", "Dizziness or fainting"
    FATIGUE = "fatigue", "Fatigue or drowsiness"
    NAUSEA = "nausea", "Nausea"
    INFECTION = "local_infection", "Local infection"
    BURN = "burn", "Burn"
    PNEUMOTHORAX = "pneumothorax", "Pneumothorax"
    NERVE = "nerve_injury", "Nerve injury"
    RETAINED = "retained_needle", "Retained or missing needle"
    BROKEN = "broken_needle", "Broken needle"
    FORGOTTEN = "forgotten_patient", "Forgotten patient"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    # MacPherson 2001 definitions (safety.md §6.1).
    MINOR = "minor", "Minor (no treatment needed)"
    NEEDED_TREATMENT = "needed_treatment", "Needed treatment"
    SERIOUS = "serious", "Serious (hospital admission, permanent disability or death)"


class Causality(models.TextChoices):
    UNRELATED = "unrelated", "Unrelated"
    UNLIKELY = "unlikely", "Unlikely"
    POSSIBLE = "possible", "Possible"
    PROBABLE = "probable", "Probable"
    CERTAIN = "certain", "Certain"


class AEOutcome(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    ONGOING = "ongoing", "Ongoing"
    LASTING = "lasting", "Lasting effect"


class AdverseEvent(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="adverse_events")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="adverse_events")
    type = models.CharField(max_length=20, choices=AEType.choices)
    severity = models.CharField(max_length=20, choices=Severity.choices)
    causality = models.CharField(max_length=10, choices=Causality.choices)
    reporter = models.CharField(max_length=12, choices=[("practitioner", "Practitioner"),
                                                        ("patient", "Patient")],
                                default="practitioner")
    onset_at = models.DateTimeField()
    duration_days = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True,
                                        validators=[MinValueValidator(0)])
    description = models.TextField()
    action_taken = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=AEOutcome.choices,
                               default=AEOutcome.ONGOING)
    admin_acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When the row last changed: FHIR meta.lastUpdated, _lastUpdated and $export's _since.
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-onset_at"]
        indexes = [models.Index(fields=["severity", "onset_at"], name="ae_severity_idx")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.get_severity_display()})"
