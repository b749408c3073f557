"""API tokens for the FHIR endpoints, and bulk export jobs."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from acuback.accounts.models import Clinic


class Scope(models.TextChoices):
    READ = "user/*.read", "Read and search every resource the user may see"
    EXPORT = "system/*.read", "Bulk export of the clinic (clinic admins)"
    WRITE = "user/*.write", "Import patients, practitioners and conditions (clinic admins)"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


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

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class BulkExport(models.Model):
    """One system-level $export (FHIR Bulk Data): NDJSON files under the data directory."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="bulk_exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    request_url = models.TextField()
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
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
        return settings.DATA_DIR / "exports" / str(self.pk)


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
