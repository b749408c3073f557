"""The one function through which every read or write of patient data is logged."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted
    # proxy rewrites it, and a forged address in an audit log is worse than none.
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    request: HttpRequest | None,
    action: str,
    patient=None,
    clinic=None,
    target: Any = None,
    detail: dict | None = None,
    actor=None,
) -> AuditEvent:
    """Write one audit event. `target` is a model instance or a "model:id" string."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if clinic is None and patient is not None:
        clinic = patient.clinic_id
    if target is not None and not isinstance(target, str):
        target = f"{target._meta.label_lower}:{target.pk}"
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=getattr(actor, "username", "") or "",
        clinic_id=clinic if isinstance(clinic, int) or clinic is None else clinic.pk,
        patient=patient,
        action=action,
        target=target or "",
        ip_address=client_ip(request),
        detail=detail or {},
    )
