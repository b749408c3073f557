"""Clinics, locations, users and their roles, practitioners and credentials."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import Q, Value
from django.db.models.functions import Trim, Upper
from django.utils import timezone

from acuback import sql
from acuback.clinical import credentials as credential_rules

from .validators import validate_jurisdiction, validate_npi, validate_time_zone


class HttpsURLField(models.URLField):
    """A URL field whose form assumes https:// when the scheme is left out."""

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


class User(AbstractUser):
    """A person who logs in: staff of one or more clinics, or a patient."""

    # Set when someone else chose the password (`acuback setup`, a clinic admin's
    # temporary password): the owner must choose their own at the next log-in.
    must_change_password = models.BooleanField(default=False)
    # Staff: where safety alerts go by SMS (safety.md §2: real time, not an inbox).
    mobile_phone = models.CharField(max_length=30, blank=True,
                                    help_text="For urgent safety alerts by SMS.")

    class Meta:
        db_table = "accounts_user"


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    reminder_hours_before = models.PositiveSmallIntegerField(
        default=24, help_text="Appointment reminders go out this many hours before.")
    cancellation_notice_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Patients may cancel or move a booking online until this many "
        "hours before it.")
    # Last medical record number handed out automatically (see patients.services).
    mrn_counter = models.PositiveIntegerField(default=100000)
    record_retention_years = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="How long records are kept after the last visit. Rules differ by state "
                  "and country: set yours.")
    pregnancy_blocks_lumbosacral = models.BooleanField(
        "In pregnancy, block the lower back and sacrum", default=True,
        help_text="WHO 1999 advises keeping off lumbosacral points throughout pregnancy (the "
                  "default). Untick only on your clinical lead's decision: the lower back and "
                  "sacrum are then allowed after an acknowledgement; the classic forbidden "
                  "points (BL31-BL34, BL60, BL67, LI4, SP6, GB21), the abdomen and "
                  "electroacupuncture stay blocked.")
    created_at = models.DateTimeField(auto_now_add=True)
    # When the row last changed: FHIR meta.lastUpdated, _lastUpdated and $export's _since.
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=200)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")
    jurisdiction = models.CharField(
        max_length=10,
        validators=[validate_jurisdiction],
        help_text="Licensing jurisdiction as an ISO 3166 code, e.g. US-CA.",
    )
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)
    # When the row last changed: FHIR meta.lastUpdated, _lastUpdated and $export's _since.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["clinic", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.clinic})"


class Role(models.TextChoices):
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"
    PRACTITIONER = "practitioner", "Practitioner"
    FRONT_DESK = "front_desk", "Front desk"
    PATIENT = "patient", "Patient"


STAFF_ROLES = frozenset({Role.CLINIC_ADMIN, Role.PRACTITIONER, Role.FRONT_DESK})


class StaffInvitation(models.Model):
    """A clinic asks a person to join its staff with `roles`; the memberships are made
    only when the account's owner accepts, logged in. `account` is who may accept: None
    when nobody can (the address is of an account that is not staff, or the username
    asked for is taken); the inviting clinic is told the same in every case, so the form
    does not reveal which addresses or usernames exist on the installation (issue #25)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    roles = models.JSONField(default=list)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                null=True, blank=True, related_name="staff_invitations")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Withdrawn by the clinic before it was accepted: kept (audited), no longer acceptable.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"{self.email} to {self.clinic}"


class Membership(models.Model):
    """A user's role in a clinic. A clinic owner who also treats holds two rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic", "role"], name="unique_membership_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.clinic}"


class Profession(models.TextChoices):
    ACUPUNCTURIST = "acupuncturist", "Licensed acupuncturist"
    PHYSICIAN = "physician", "Physician (MD/DO)"
    PA = "pa", "Physician assistant"
    NP = "np", "Nurse practitioner / clinical nurse specialist"
    PHYSICAL_THERAPIST = "physical_therapist", "Physical therapist"
    CHIROPRACTOR = "chiropractor", "Chiropractor"


# Professions that may supervise auxiliary personnel for incident-to billing
# (42 CFR 410.26; docs/reference/safety.md §9.1).
SUPERVISING_PROFESSIONS = frozenset({Profession.PHYSICIAN, Profession.PA, Profession.NP})


class PractitionerQuerySet(models.QuerySet["Practitioner"]):
    def visible_to(self, user) -> PractitionerQuerySet:
        from . import policy

        return self.filter(clinic_id__in=policy.clinic_ids_with(user, "registry.view"))


class Practitioner(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="practitioners")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="practitioner",
    )
    display_name = models.CharField(max_length=200)
    profession = models.CharField(max_length=30, choices=Profession.choices)
    npi = models.CharField(
        "NPI", max_length=10, blank=True, validators=[validate_npi], help_text="US only; optional."
    )
    supervisor = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervisees",
        limit_choices_to={"profession__in": sorted(SUPERVISING_PROFESSIONS)},
        help_text="Supervising physician, PA or NP, for incident-to services.",
    )
    is_active = models.BooleanField(default=True)
    # When the row or one of its credentials last changed (Credential.save): FHIR
    # meta.lastUpdated, _lastUpdated and $export's _since.
    updated_at = models.DateTimeField(auto_now=True)

    objects = PractitionerQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        # An NPI identifies one person: a second record with a colleague's NPI would sign
        # and bill as them.
        if self.npi and Practitioner.objects.filter(clinic_id=self.clinic_id, npi=self.npi).exclude(
                pk=self.pk).exists():
            raise ValidationError({"npi": "Another practitioner of this clinic has this NPI: "
                                          "an NPI belongs to one person."})

    def credential_facts(self) -> list[credential_rules.CredentialFacts]:
        """Uses prefetched credentials when the caller prefetched them; else reads only the
        facts (the safety gate of every session save asks, and needs no instances)."""
        if "credentials" in getattr(self, "_prefetched_objects_cache", {}):
            return [c.facts() for c in self.credentials.all()]
        # Written out in SQL: the ORM spent 0.4 ms building what the database answers in
        # 0.05 (the names come from the rules and the model, the id is a parameter).
        quote = connection.ops.quote_name
        return [credential_rules.CredentialFacts(*row) for row in sql.rows(
            f"SELECT {', '.join(quote(f) for f in credential_rules.FACT_FIELDS)} "  # noqa: S608 - names from the rules and the model  # nosec B608
            f"FROM {quote(Credential._meta.db_table)} "
            "WHERE practitioner_id = %s ORDER BY id", [self.pk])]

    def clearance_at(self, location: Location, on: date) -> credential_rules.Clearance:
        if not self.is_active:
            return credential_rules.Clearance(False, "practitioner is inactive")
        return credential_rules.clearance_to_needle(
            self.credential_facts(), location.jurisdiction, on
        )


class CredentialKind(models.TextChoices):
    LICENCE = "licence", "Licence"
    CERTIFICATION = "certification", "Certification"
    DEGREE = "degree", "Academic degree"
    MEMBERSHIP = "membership", "Professional membership"
    PERMIT = "permit", "Local permit"


class CredentialStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PENDING = "pending", "Pending"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"
    LAPSED = "lapsed", "Lapsed"


class DegreeLevel(models.TextChoices):
    MASTERS = "masters", "Master's"
    DOCTORAL = "doctoral", "Doctoral"
    OTHER = "other", "Other"


class DegreeField(models.TextChoices):
    ACUPUNCTURE = "acupuncture", "Acupuncture"
    ORIENTAL_MEDICINE = "oriental_medicine", "Oriental medicine"
    OTHER = "other", "Other"


class Accreditor(models.TextChoices):
    # ACAOM was renamed ACAHM in 2021: one accreditor (safety.md §9.1 [ACAHM]).
    ACAHM = "ACAHM", "ACAHM (formerly ACAOM)"
    OTHER = "other", "Other"


class CredentialQuerySet(models.QuerySet["Credential"]):
    def visible_to(self, user) -> CredentialQuerySet:
        from . import policy

        return self.filter(
            practitioner__clinic_id__in=policy.clinic_ids_with(user, "registry.view")
        )

    def valid_for_needling(self, *, jurisdiction, on) -> CredentialQuerySet:
        """The credentials ``clinical.credentials.is_valid_for_needling`` accepts, in SQL:
        a licence, active, issued by ``on`` and not expired before it, for ``jurisdiction``
        (compared normalised, as the rule does). ``jurisdiction`` and ``on`` are values or
        expressions such as ``OuterRef("session_date")``."""
        if not hasattr(jurisdiction, "resolve_expression"):
            jurisdiction = Value(credential_rules.normalise_jurisdiction(jurisdiction))
        if not hasattr(on, "resolve_expression"):
            on = Value(on, output_field=models.DateField())
        return self.alias(_jurisdiction=Upper(Trim("jurisdiction"))).filter(
            Q(issued_on__isnull=True) | Q(issued_on__lte=on),
            Q(expires_on__isnull=True) | Q(expires_on__gte=on),
            kind=CredentialKind.LICENCE, status=CredentialStatus.ACTIVE,
            _jurisdiction=Upper(Trim(jurisdiction)))


class Credential(models.Model):
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="credentials"
    )
    kind = models.CharField(max_length=20, choices=CredentialKind.choices)
    title = models.CharField(max_length=120, blank=True, help_text="e.g. L.Ac., Dipl. Ac.")
    issuer = models.CharField(max_length=200)
    number = models.CharField(max_length=60, blank=True)
    jurisdiction = models.CharField(
        max_length=10, validators=[validate_jurisdiction], help_text="ISO 3166 code, e.g. US-CA."
    )
    status = models.CharField(
        max_length=20, choices=CredentialStatus.choices, default=CredentialStatus.ACTIVE
    )
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    verified_on = models.DateField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_url = HttpsURLField(
        blank=True, help_text="The register or document the credential was checked against."
    )
    # Degrees only: Medicare acupuncture needs a master's or doctoral degree in
    # acupuncture or Oriental medicine from an ACAHM (ACAOM) accredited school (NCD 30.3.3).
    degree_level = models.CharField(max_length=10, choices=DegreeLevel.choices, blank=True)
    degree_field = models.CharField(max_length=20, choices=DegreeField.choices, blank=True)
    accreditor = models.CharField(max_length=10, choices=Accreditor.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "jurisdiction", "-expires_on"]
        indexes = [models.Index(fields=["expires_on"], name="credential_expiry_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(expires_on__gte=models.F("issued_on")),
                name="credential_expiry_after_issue",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number} ({self.jurisdiction})"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        # The practitioner's FHIR resource carries its credentials: it changed with them.
        Practitioner.objects.filter(pk=self.practitioner_id).update(updated_at=timezone.now())

    def facts(self) -> credential_rules.CredentialFacts:
        return credential_rules.CredentialFacts(
            kind=self.kind,
            status=self.status,
            jurisdiction=self.jurisdiction,
            issued_on=self.issued_on,
            expires_on=self.expires_on,
        )

    def currency(self, on: date) -> credential_rules.Currency:
        return credential_rules.currency(
            self.facts(), on, settings.ACUBACK_CREDENTIAL_WARNING_DAYS
        )


class Supervision(models.Model):
    """Who supervised a practitioner, and when (safety.md §9: supervision with its
    dates). Medicare acupuncture by auxiliary personnel is billed incident-to the
    practitioner supervising on the date of service (NCD 30.3.3; 42 CFR 410.26)."""

    supervisee = models.ForeignKey(Practitioner, on_delete=models.PROTECT,
                                   related_name="supervisions")
    supervisor = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="supervising",
        limit_choices_to={"profession__in": sorted(SUPERVISING_PROFESSIONS)})
    # Blank: since before the record began (supervisions copied from the registry).
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True, help_text="Blank: ongoing.")
    # The level 42 CFR 410.26/410.27 requires is read from the regulation by the clinic;
    # the product does not state it (coverage-billing.md §6).
    level = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["supervisee", "valid_from"]
        constraints = [models.CheckConstraint(
            condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True)
            | Q(valid_to__gte=models.F("valid_from")), name="supervision_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.supervisor} supervises {self.supervisee}"

    def covers(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and \
            (self.valid_to is None or on <= self.valid_to)
