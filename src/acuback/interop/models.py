"""API tokens for the FHIR endpoints, and bulk export jobs."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from acuback.accounts.models import Clinic


class Scope(models.TextChoices):
    READ = "user/*.read", "Read and search every resource the user may see"
    EXPORT = "system/*.read", "Bulk export of the clinic (clinic admins)"
    WRITE = "user/*.write", "Import patients, practitioners and conditions (clinic admins)"


MAX_TOKEN_DAYS = 365
# What a token was made as; a change would be a different token (make a new one).
TOKEN_FIXED_FIELDS = ("clinic", "user", "digest", "prefix", "scopes", "created_by")


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())

    def update(self, **kwargs):
        # Row by row, so that each token's own limits are checked (save() checks them).
        fixed = {"expires_at", *TOKEN_FIXED_FIELDS} & set(kwargs)
        if fixed or ("revoked_at" in kwargs and kwargs["revoked_at"] is None):
            raise ValidationError(dict.fromkeys(
                fixed or {"revoked_at"},
                "Change a token through its own record, where its limits are checked."))
        return super().update(**kwargs)


class ApiToken(models.Model):
    """A bearer token acting as one user in one clinic, limited to its scopes.
    Only a SHA-256 digest is stored; the token is shown once, when it is made."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for.")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="The token's first characters.")
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def save(self, *args, **kwargs):
        self.check_limits()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.check_limits()

    def check_limits(self) -> None:
        """The limits every token keeps, however it is written: at most MAX_TOKEN_DAYS
        from when it was made; a revocation is final; what it was made as is fixed."""
        errors = {}
        made = self.created_at or timezone.now()
        if self.expires_at and self.expires_at > made + timedelta(days=MAX_TOKEN_DAYS,
                                                                  minutes=1):
            errors["expires_at"] = (f"A token lasts at most {MAX_TOKEN_DAYS} days from when "
                                    "it was made; make a new one.")
        if not self._state.adding:  # one read: tokens are saved only when revoked
            fields = [self._meta.get_field(n) for n in ("revoked_at", *TOKEN_FIXED_FIELDS)]
            stored = type(self)._base_manager.filter(pk=self.pk).values(
                *(f.attname for f in fields)).first() or {}
            for field in fields:
                if field.attname not in stored or field.attname in self.get_deferred_fields():
                    continue
                before, now = stored[field.attname], getattr(self, field.attname)
                if field.name == "revoked_at" and before is not None and now != before:
                    errors["revoked_at"] = "A revoked token stays revoked; make a new one."
                elif field.name != "revoked_at" and now != before:
                    errors[field.name] = "A token keeps what it was made as; make a new one."
        if errors:
            raise ValidationError(errors)

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ExportLevel(models.TextChoices):
    SYSTEM = "system", "System ($export)"
    PATIENT = "patient", "Every patient (Patient/$export)"
    GROUP = "group", "A practitioner's patients (Group/[id]/$export)"


class BulkExport(models.Model):
    """One $export (FHIR Bulk Data): NDJSON files under the data directory. A Group is a
    practitioner's patients: Group/{id} is practitioner {id}'s (docs/fhir.md)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="bulk_exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    request_url = models.TextField()
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    level = models.CharField(max_length=10, choices=ExportLevel.choices,
                             default=ExportLevel.SYSTEM)
    group = models.ForeignKey("accounts.Practitioner", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+",
                              help_text="Group/[id]/$export: this practitioner's patients.")
    status = models.CharField(max_length=10, choices=ExportStatus.choices,
                              default=ExportStatus.QUEUED)
    progress = models.CharField(max_length=100, blank=True)
    output = models.JSONField(default=list, blank=True)  # [{"type", "file", "count"}]
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"$export {self.pk} ({self.status})"

    @property
    def directory(self):
        """Where exports made before their files moved into the database kept them."""
        return settings.DATA_DIR / "exports" / str(self.pk)


class BulkExportPart(models.Model):
    """A part of one NDJSON file of an export, kept in the database so that every web
    node serves what any worker wrote (no shared disk needed, issue #31 §5). A file is
    its parts in order; each holds whole lines, about a mebibyte."""

    export = models.ForeignKey(BulkExport, on_delete=models.CASCADE, related_name="parts")
    file = models.CharField(max_length=80)
    part = models.PositiveIntegerField()
    lines = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["export", "file", "part"],
                                               name="bulk_export_part_once")]

    def __str__(self) -> str:
        return f"{self.file} part {self.part} of export {self.export_id}"


class UnexpressibleRecord(models.Model):
    """A stored record the FHIR API cannot express as valid FHIR R4 (say, a coverage with
    priority 0): it is left out of searches, $everything and exports, each time with a
    warning, until a person corrects it. Clinic admins see the list on the API tokens
    page, which drops the rows that have since been corrected."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    resource_type = models.CharField(max_length=40)
    record_id = models.PositiveBigIntegerField()
    problem = models.TextField(help_text="Which elements are invalid, in FHIR terms.")
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["resource_type", "record_id"]
        constraints = [models.UniqueConstraint(fields=["resource_type", "record_id"],
                                               name="unexpressible_record_once")]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.record_id}"


# --- SMART App Launch and Backend Services (interop/oauth.py) ------------------------------

class AppKind(models.TextChoices):
    PUBLIC = "public", "An app people use, without a secret (in a browser or on a phone)"
    CONFIDENTIAL = "confidential", "An app people use, with a secret (runs on a server)"
    BACKEND = "backend", "A backend service: no person logs in; it signs a JWT with its key"


class SmartApp(models.Model):
    """An app the clinic admin registered: the OAuth client (django-oauth-toolkit's
    Application) held to one clinic. A backend service acts as the member of staff named
    here, with their access checked on every request, as an API token does; its public
    keys (JWKS) are stored here and never fetched."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="smart_apps")
    application = models.OneToOneField("oauth2_provider.Application", on_delete=models.PROTECT,
                                       related_name="smart_app")
    kind = models.CharField(max_length=12, choices=AppKind.choices)
    jwks = models.JSONField(default=dict, blank=True,
                            help_text="Backend services: the public keys that check the "
                                      "app's signed client assertion.")
    acts_as = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+",
                                help_text="Backend services: the member of staff it acts as.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.application.name


class SmartAuthorization(models.Model):
    """One person's consent to one app: the scopes granted and the patient in context
    (launch/patient). Every token issued for it, refreshed ones too, carries it."""

    app = models.ForeignKey(SmartApp, on_delete=models.CASCADE, related_name="authorizations")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    scope = models.TextField()
    code_digest = models.CharField(max_length=64, blank=True, db_index=True)
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.app} for {self.user}"


class SmartTokenContext(models.Model):
    """What an access token issued to a SMART app stands for: the app, and for a person's
    token the authorisation (user, clinic, patient). A token without one is refused."""

    access_token = models.OneToOneField("oauth2_provider.AccessToken", on_delete=models.CASCADE,
                                        related_name="smart_context")
    app = models.ForeignKey(SmartApp, on_delete=models.CASCADE, related_name="tokens")
    authorization = models.ForeignKey(SmartAuthorization, on_delete=models.CASCADE, null=True,
                                      blank=True, related_name="tokens")

    def __str__(self) -> str:
        return f"token {self.access_token_id} of {self.app}"


class ClientAssertionUse(models.Model):
    """A signed client assertion's `jti`, kept until it expires: each is used once."""

    app = models.ForeignKey(SmartApp, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "jti"],
                                               name="client_assertion_once")]

    def __str__(self) -> str:
        return self.jti
