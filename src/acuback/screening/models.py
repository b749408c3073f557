"""Screening records (intake and pre-treatment checks) and referral clearances."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from acuback.clinical import medications
from acuback.clinical.safety import Outcome, answers_from_json, outcome_words
from acuback.patients.care import clinical_scope
from acuback.patients.models import EpisodeOfCare, Patient
from acuback.signing import SignedModel, SignedQuerySet


class ScreeningKind(models.TextChoices):
    INTAKE = "intake", "Intake screening"
    PRE_TREATMENT = "pre_treatment", "Pre-treatment check"


class ScreeningStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


OUTCOME_CHOICES = [(o.name, o.label) for o in Outcome]


class ScreeningQuerySet(SignedQuerySet):
    def visible_to(self, user) -> ScreeningQuerySet:
        """Screenings the user may see without breaking the glass (patients.care)."""
        return self.filter(clinical_scope(user))

    def signed(self) -> ScreeningQuerySet:
        return self.filter(status=ScreeningStatus.SIGNED)


class Screening(SignedModel):
    """The answers, the decision the rules made of them, and who signed it.

    A draft may be saved and resumed; once signed the row never changes
    (services refuse it), except for clearances, which are rows of their own.
    """

    SIGNATURE_FIELDS = ("status", "signed_by", "signed_at")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT,
                                related_name="screenings")
    kind = models.CharField(max_length=20, choices=ScreeningKind.choices)
    status = models.CharField(max_length=10, choices=ScreeningStatus.choices,
                              default=ScreeningStatus.DRAFT)
    answers = models.JSONField(default=dict)
    # Pre-treatment check: what changed since the last screening (ChangesForm).
    changes = models.JSONField(default=dict, blank=True)
    decision = models.JSONField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=OUTCOME_CHOICES, blank=True)
    needling_allowed = models.BooleanField(null=True)
    electroacupuncture_allowed = models.BooleanField(null=True)
    rule_version = models.CharField(max_length=40, blank=True)
    referred_to = models.CharField(max_length=200, blank=True)
    patient_told = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScreeningQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["patient", "status", "signed_at"],
                                name="screening_latest_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_status_display().lower()} — {self.patient}"

    @property
    def is_signed(self) -> bool:
        return self.status == ScreeningStatus.SIGNED

    @property
    def outcome_enum(self) -> Outcome | None:
        return Outcome[self.outcome] if self.outcome else None

    @property
    def outcome_words(self) -> str:
        """The outcome as the pages show it, with the hold the decision put on needling
        (clinical.safety.outcome_words)."""
        if not self.outcome:
            return ""
        return outcome_words(Outcome[self.outcome],
                             bool((self.decision or {}).get("needling_allowed", True)))

    @property
    def is_referral(self) -> bool:
        return bool(self.outcome) and Outcome[self.outcome].is_referral

    def answers_obj(self):
        return answers_from_json(self.answers)


class ClearanceKind(models.TextChoices):
    MEDICAL_CLEARANCE = "medical_clearance", "Medical assessment cleared needling"
    REASONED_DECISION = "reasoned_decision", "Reasoned decision to proceed"


class ClearanceAllows(models.TextChoices):
    NEEDLING = "needling", "Needling, as the other findings allow"
    MANUAL_ONLY = "manual_only", "Manual needling only, no electroacupuncture"


class ReferralClearance(models.Model):
    """Clears one finding that blocks needling (a referral, or a "block until cleared"
    condition): who cleared it, when, the letter, and what it allows.

    It is carried forward to later screenings while the finding is raised by the same
    answers (`raised_by`, the finding's note, is unchanged); when they change, the
    finding is open again. A red flag's clearance holds within its episode of care.
    Rows written before rule ids were recorded (`rule_id` blank) clear the URGENT and
    EMERGENCY findings of their own screening only."""

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT,
                                  related_name="clearances")
    rule_id = models.CharField(max_length=20, blank=True)
    raised_by = models.TextField(blank=True, help_text="The finding's note when cleared: what "
                                 "raised it.")
    kind = models.CharField(max_length=30, choices=ClearanceKind.choices)
    cleared_by_name = models.CharField(max_length=200, blank=True,
                                       help_text="Who assessed and cleared it.")
    cleared_on = models.DateField(null=True, blank=True)
    letter = models.TextField(blank=True, help_text="The clearance letter: its author, date and "
                              "what it says, or where the scanned letter is filed.")
    allows = models.CharField(max_length=20, choices=ClearanceAllows.choices,
                              default=ClearanceAllows.NEEDLING)
    note = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"{self.rule_id or 'referral'}: {self.get_kind_display()} " \
               f"({self.recorded_at:%Y-%m-%d})"


class Acknowledgement(models.Model):
    """A practitioner's acknowledgement of a precaution before the first needle."""

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT,
                                  related_name="acknowledgements")
    text = models.CharField(max_length=400)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                        related_name="+")
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["screening", "text"],
                                               name="one_ack_per_text")]

    def __str__(self) -> str:
        return self.text


# --- The medication, allergy and problem lists and results the rules read (issue #26
# item 4). Per patient; nothing is deleted: an entry is stopped (resolved) or marked
# entered in error. `changed_at` tells the safety profile that a list changed after
# the last signed screening.

class EntryStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    STOPPED = "stopped", "Stopped / resolved"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class MedicationKind(models.TextChoices):
    MEDICINE = "medicine", "Medicine"
    HERB = "herb", "Herb or herbal product"


class ListEntry(models.Model):
    """What every list entry has: who recorded it, when, and its status."""

    status = models.CharField(max_length=20, choices=EntryStatus.choices,
                              default=EntryStatus.ACTIVE)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)
    error_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True

    @property
    def in_force(self) -> bool:
        return self.status == EntryStatus.ACTIVE


_CLASS_WORDS = {"anticoagulant": "Anticoagulant (blood thinner)", "antiplatelet": "Antiplatelet",
                "corticosteroid": "Long-term corticosteroid",
                "immunosuppressant": "Immunosuppressant",
                medications.NONE_OF_THESE: "None of these classes"}
MEDICATION_CLASS_CHOICES = [(c, _CLASS_WORDS[c])
                            for c in (*medications.CLASSES, medications.NONE_OF_THESE)]


class Medication(ListEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    kind = models.CharField(max_length=10, choices=MedicationKind.choices,
                            default=MedicationKind.MEDICINE)
    name = models.CharField(max_length=200)
    dose = models.CharField(max_length=100, blank=True)
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    prescribed_by_clinic = models.BooleanField(default=False,
                                               help_text="A herb the clinic prescribes.")
    # For a medicine name the table (clinical.medications) does not know: the class the
    # clinician chose, or "none" (none of the rules' classes); blank when the table knows it.
    chosen_class = models.CharField("class", max_length=20, blank=True,
                                    choices=MEDICATION_CLASS_CHOICES)

    class Meta:
        ordering = ["status", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}".strip()


class AllergyCategory(models.TextChoices):
    METAL_NICKEL = "metal_nickel", "Metal (nickel)"
    LATEX = "latex", "Latex"
    ADHESIVE = "adhesive", "Adhesive (tape, plasters)"
    ANTISEPTIC = "antiseptic", "Antiseptic (alcohol, chlorhexidine, iodine)"
    HERBS = "herbs", "Herbs"
    OTHER = "other", "Other"


class Allergy(ListEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    category = models.CharField(max_length=20, choices=AllergyCategory.choices)
    substance = models.CharField(max_length=200, blank=True)
    reaction = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["status", "category", "pk"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return self.substance or self.get_category_display()


class Problem(ListEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="problems")
    description = models.CharField(max_length=300)
    icd10_code = models.CharField(max_length=10, blank=True,
                                  help_text="ICD-10-CM, where known.")
    onset_on = models.DateField(null=True, blank=True)
    resolved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["status", "description", "pk"]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.description}".strip()


class ResultKind(models.TextChoices):
    INR = "inr", "INR"
    PLATELETS = "platelets", "Platelet count (x10^9/L)"


class LabResult(ListEntry):
    """A blood result with the date the sample was taken. Stopped does not apply: a
    result is in force until entered in error."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="lab_results")
    kind = models.CharField(max_length=20, choices=ResultKind.choices)
    value = models.DecimalField(max_digits=7, decimal_places=2)
    taken_on = models.DateField()

    class Meta:
        ordering = ["kind", "-taken_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value:g} ({self.taken_on:%Y-%m-%d})"


class ListReview(models.Model):
    """Someone reviewed the patient's lists with them: at every signed screening, or on
    the chart."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="list_reviews")
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_at", "-pk"]

    def __str__(self) -> str:
        return f"Lists reviewed {self.reviewed_at:%Y-%m-%d}"
