"""The one function through which every read or write of patient data is logged."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from . import chain
from .models import AuditEvent

# Any constant: the advisory lock that makes audit events join the chain one at a time.
CHAIN_LOCK = 0x61756469  # "audi"


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
    break_glass: bool = False,
) -> AuditEvent:
    """Write one audit event, chained to the one before it. `target` is a model instance
    or a "model:id" string."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if clinic is None and patient is not None:
        clinic = patient.clinic_id
    if target is not None and not isinstance(target, str):
        target = f"{target._meta.label_lower}:{target.pk}"
    event = AuditEvent(
        at=timezone.now(),
        actor=actor,
        actor_label=getattr(actor, "username", "") or "",
        clinic_id=clinic if isinstance(clinic, int) or clinic is None else clinic.pk,
        patient=patient,
        action=action,
        target=target or "",
        ip_address=client_ip(request),
        detail=chain.normalise_detail(detail),
        break_glass=break_glass,
    )
    # No savepoint inside a caller's transaction (two round trips per event): the event is
    # part of that write, and a failure here rolls the whole write back.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            # Held to the end of the transaction: events chain strictly one after another.
            # (SQLite's IMMEDIATE transactions already serialise writers.)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        event.prev_hash = (AuditEvent.objects.order_by("-pk").values_list("hash", flat=True)
                           .first() or "")
        event.hash = chain.digest_of(event)
        event.save()
    return event


def audit_read(request: HttpRequest, patient, page: str | None = None) -> None:
    """A GET of a page that shows this patient's data (forms included)."""
    if request.method == "GET":
        match = getattr(request, "resolver_match", None)
        audit_record(request=request, action="page.view", patient=patient,
                     detail={"page": page or (match.url_name if match else request.path)})
