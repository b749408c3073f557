"""The audit log: who did what to which patient's data, when, from where."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only.")

    def visible_to(self, user) -> AuditEventQuerySet:
        from acuback.accounts import policy

        return self.filter(clinic_id__in=policy.clinic_ids_with(user, "admin.site"))


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The username at the time, kept should the account be renamed.
    actor_label = models.CharField(max_length=150, blank=True)
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=60)
    target = models.CharField(max_length=100, blank=True, help_text="model:id of the object")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # Access outside the user's usual scope, with the reason given ("break the glass").
    break_glass = models.BooleanField(default=False, db_index=True)
    # The hash chain (audit/chain.py): this event's HMAC covers its content and the
    # previous event's hash, so a changed, removed or inserted row breaks the chain.
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["patient", "at"], name="audit_patient_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only.")

    @property
    def action_words(self) -> str:
        from .actions import action_in_words

        return action_in_words(self.action)
