"""Patients and their consents. Episodes of care will hang off Patient."""

from __future__ import annotations

import hashlib
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q

from acuback import sql
from acuback.accounts import policy, zones
from acuback.accounts.models import Clinic
from acuback.clinical.consent import AGE_OF_MAJORITY, own_signature_counts
from acuback.clinical.episodes import chronicity
from acuback.signing import SignedModel, SignedQuerySet


class PatientQuerySet(models.QuerySet["Patient"]):
    def visible_to(self, user) -> PatientQuerySet:
        """Staff see their clinic's patients; a patient sees only themself."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        staff = Q(clinic_id__in=policy.clinic_ids_with(user, "patient.view"))
        own_record = policy.clinic_ids_with(user, "portal.own_record")
        if not own_record:  # staff only, the usual case: no OR to build for every page
            return self.filter(staff)
        return self.filter(staff | Q(portal_user=user, clinic_id__in=own_record))

    def visible_one(self, user, pk: int) -> Patient | None:
        """``visible_to(user).select_related("clinic").filter(pk=pk).first()``, the same
        rule written out in SQL: every patient page opens with it, and the ORM took 0.9 ms
        to build and read what one statement reads in 0.2 ms. Tested against `visible_to`
        for every role."""
        if not getattr(user, "is_authenticated", False) or not 0 < pk < 2**63:
            return None
        condition, params = sql.id_in("t0.clinic_id",
                                      policy.clinic_ids_with(user, "patient.view"))
        own_record = policy.clinic_ids_with(user, "portal.own_record")
        if own_record:
            own_is, own_params = sql.id_in("t0.clinic_id", own_record)
            condition = f"({condition} OR (t0.portal_user_id = %s AND {own_is}))"
            params = [*params, user.pk, *own_params]
        found = sql.fetch(self.model, f"t0.id = %s AND {condition}", [pk, *params],
                          related=("clinic",))
        return found[0] if found else None


class SexAtBirth(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown"
    DECLINED = "declined", "Prefers not to say"


def age_on(date_of_birth, day) -> int:
    """Whole years of age on `day`."""
    return day.year - date_of_birth.year - (
        (day.month, day.day) < (date_of_birth.month, date_of_birth.day))


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField(
        "medical record number",
        max_length=20,
        help_text="Unique within the clinic. Leave blank to number automatically.",
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=10, choices=SexAtBirth.choices, blank=True)
    gender_identity = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    preferred_language = models.CharField(max_length=50, blank=True, default="English")
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=100, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patient_record",
    )
    is_active = models.BooleanField(default=True)
    # Archived: hidden from lists and booking, kept (never deleted) for the clinic's
    # retention period; reopened by the clinic admin.
    archived_at = models.DateTimeField(null=True, blank=True, db_index=True)
    archived_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    archive_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic lock: an edit made from a stale page is refused, not merged.
    version = models.PositiveIntegerField(default=1)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="unique_mrn_per_clinic")
        ]
        indexes = [
            models.Index(fields=["clinic", "family_name", "given_name"], name="patient_name_idx"),
            models.Index(fields=["clinic", "date_of_birth"], name="patient_dob_idx"),
            # The home page's recently registered: without it, a sort of the clinic's
            # 10,000 patients on every staff home page (5.6 ms on PostgreSQL).
            models.Index(fields=["clinic", "-created_at"], name="patient_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day) -> int:
        return age_on(self.date_of_birth, day)

    def signer_problem(self, signed_by_representative: bool, on) -> str:
        """Why a consent signed on `on` would not count, or "" (clinical.consent)."""
        if own_signature_counts(self.age_on(on), signed_by_representative):
            return ""
        return (f"The patient is under {AGE_OF_MAJORITY}: a parent, guardian or legal "
                "representative signs, and ticks this box.")


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", "Acupuncture treatment"
    ELECTROACUPUNCTURE = "electroacupuncture", "Electroacupuncture"
    DATA_SHARING = "data_sharing", "Sharing data with referrers and payers"
    RESEARCH = "research", "Use of de-identified data for research"


class ConsentForm(models.Model):
    """The text a patient is shown. Versions are kept; a signature records the
    hash of exactly the text that was shown."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="consent_forms")
    kind = models.CharField(max_length=30, choices=ConsentKind.choices)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    body = models.TextField()
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "kind", "version"], name="unique_consent_form_version"
            ),
            models.UniqueConstraint(
                fields=["clinic", "kind"],
                condition=Q(is_current=True),
                name="one_current_consent_form_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def text_sha256(self) -> str:
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()


class ConsentQuerySet(SignedQuerySet):
    def visible_to(self, user) -> ConsentQuerySet:
        return self.filter(patient__in=Patient.objects.visible_to(user))

    def in_force(self) -> ConsentQuerySet:
        return self.filter(withdrawn_at__isnull=True)

    def kinds_in_force(self, patient_id: int) -> set[str]:
        """The kinds of the patient's consents in force and validly signed: by a
        representative, or by the patient as an adult on the day (clinical.consent)."""
        rows = self.filter(patient_id=patient_id, withdrawn_at__isnull=True).values_list(
            "kind", "signed_at", "signed_by_representative", "patient__date_of_birth",
            "patient__clinic__time_zone")
        return {kind for kind, signed_at, by_rep, dob, zone in rows
                if own_signature_counts(age_on(dob, signed_at.astimezone(ZoneInfo(zone)).date()),
                                        by_rep)}


class Consent(SignedModel):
    """A signed consent. Never deleted: withdrawal is recorded on the row."""

    SIGNED_ON_CREATE = True  # recorded through the consent service only
    SIGNATURE_FIELDS = ("patient", "form", "kind", "version", "text_sha256", "signature_name",
                        "signed_by_representative", "signed_at", "recorded_by")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    form = models.ForeignKey(ConsentForm, on_delete=models.PROTECT, related_name="signatures")
    kind = models.CharField(max_length=30, choices=ConsentKind.choices)
    version = models.CharField(max_length=20)
    text_sha256 = models.CharField(max_length=64)
    signature_name = models.CharField(max_length=200, help_text="Typed full name of the signer.")
    signed_by_representative = models.BooleanField(
        default=False, help_text="Signed by a parent, guardian or legal representative."
    )
    signed_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.CharField(max_length=500, blank=True)
    # When the row last changed: FHIR meta.lastUpdated, _lastUpdated and $export's _since.
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["patient", "kind"], name="consent_patient_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} — {self.patient}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None


class EpisodeStatus(models.TextChoices):
    OPEN = "open", "Open"
    ON_HOLD = "on_hold", "On hold for referral"
    DISCHARGED = "discharged", "Discharged"


class CauseCategory(models.TextChoices):
    NONSPECIFIC = "nonspecific", "Nonspecific"
    SPECIFIC = "specific", "Specific cause identified"


class EpisodeQuerySet(models.QuerySet["EpisodeOfCare"]):
    def visible_to(self, user) -> EpisodeQuerySet:
        """Episodes the user may see without breaking the glass (patients.care)."""
        from .care import clinical_scope

        return self.filter(clinical_scope(user))


class EpisodeOfCare(models.Model):
    """One course of care for one back-pain problem."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    onset_date = models.DateField(help_text="When this back pain began (best estimate).")
    pain_regions = models.JSONField(default=list, blank=True,
                                    help_text="Regions marked on the pain drawing.")
    radiating_leg_pain = models.BooleanField(default=False)
    cause = models.CharField(max_length=20, choices=CauseCategory.choices,
                             default=CauseCategory.NONSPECIFIC)
    related_to_surgery = models.BooleanField(default=False)
    related_to_pregnancy = models.BooleanField(default=False)
    diagnosis_codes = models.JSONField(default=list, blank=True)
    referral_source = models.CharField(max_length=200, blank=True)
    goals = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=EpisodeStatus.choices,
                              default=EpisodeStatus.OPEN)
    discharge_reason = models.CharField(max_length=300, blank=True)
    discharged_on = models.DateField(null=True, blank=True)
    opened_on = models.DateField()
    # A date known only to the year or month (FHIR allows "2024" and "2024-05", and an
    # import keeps them so): field name -> "year" or "month"; the field holds the first
    # day of that year or month. Absent: a full date.
    date_precision = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_on", "-pk"]
        indexes = [
            models.Index(fields=["patient", "status"], name="episode_patient_status_idx"),
            # The open episodes, a few percent of all after some years: what the dashboard,
            # the day view's "due" column and the worker ask for (PostgreSQL scanned all).
            # The id in the key lets the dashboard read a clinic's open episodes from the
            # index alone (17 -> 8 ms for 10,000 patients, docs/benchmarks.md).
            models.Index(fields=["patient", "id"], condition=~Q(status="discharged"),
                         name="episode_open_id_idx"),
        ]

    def __str__(self) -> str:
        return f"Episode from {self.onset_date:%Y-%m-%d} — {self.patient}"

    def chronicity_on(self, day):
        return chronicity(self.onset_date, day) if self.onset_date <= day else None

    @property
    def chronicity(self):
        """Today's chronicity on the clinic's calendar (it changes as time passes, so it
        is not stored)."""
        return self.chronicity_on(zones.today_at(self.patient.clinic))



class CorrectionStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted: the record was corrected"
    DECLINED = "declined", "Declined, with the reason"


class CorrectionRequest(models.Model):
    """A patient's request to correct their record (HIPAA right to amend, 45 CFR 164.526:
    act on it within 60 days). Accepted corrections are made as edits or addenda; the
    request and the answer are kept."""

    RESPONSE_DAYS = 60

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT,
                                related_name="correction_requests")
    text = models.TextField("what is wrong, and what it should say", max_length=4000)
    status = models.CharField(max_length=10, choices=CorrectionStatus.choices,
                              default=CorrectionStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    response = models.TextField(blank=True, max_length=4000)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Correction request {self.pk} ({self.get_status_display()})"

    @property
    def respond_by(self):
        from datetime import timedelta

        return (self.created_at + timedelta(days=self.RESPONSE_DAYS)).date()
