"""The one function through which every read or write of patient data is logged."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from acuback import sql
from acuback.client_address import client_ip

from . import chain
from .models import AuditEvent

# Any constant: the advisory lock that makes audit events join the chain one at a time.
CHAIN_LOCK = 0x61756469  # "audi"


GLASS_ATTRIBUTE = "acuback_break_glass_patients"


def mark_break_glass(request: HttpRequest | None, patient) -> None:
    """This request reads `patient`'s record through a break-the-glass grant: every event
    it writes about that patient carries the flag (the clinic admin reviews them)."""
    if request is not None:
        marked = getattr(request, GLASS_ATTRIBUTE, None) or set()
        marked.add(patient.pk)
        setattr(request, GLASS_ATTRIBUTE, marked)


def audit_event(
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
    """One audit event, not yet written: `audit_append` chains and saves it. `target` is a
    model instance or a "model:id" string."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if clinic is None and patient is not None:
        clinic = patient.clinic_id
    if target is not None and not isinstance(target, str):
        target = f"{target._meta.label_lower}:{target.pk}"
    if patient is not None and patient.pk in getattr(request, GLASS_ATTRIBUTE, ()):
        break_glass = True
    return AuditEvent(
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


def audit_append(*events: AuditEvent) -> list[AuditEvent]:
    """Chain the events, in order, after the newest one and write them in one INSERT.

    A write that makes several events (save and sign) appends them together: one lock,
    one read of the chain's head and one INSERT instead of three statements per event."""
    # No savepoint inside a caller's transaction (two round trips per event): the events
    # are part of that write, and a failure here rolls the whole write back.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Held to the end of the transaction: events chain strictly one after another.
            # (SQLite's IMMEDIATE transactions already serialise writers.) The head is read
            # after the lock, in a statement of its own, so it sees the last commit.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        # In SQL: the ORM spent longer building this query than the database running it.
        cursor.execute(_HEAD_SQL.format(table=connection.ops.quote_name(AuditEvent._meta.db_table)))
        row = cursor.fetchone()
        previous = row[0] if row else ""
        for event in events:
            event.prev_hash = previous
            event.hash = previous = chain.digest_of(event)
        # Written out (acuback.sql.insert): every page that shows a patient writes one, and
        # bulk_create spent about 0.4 ms building it. The ids come back, as with bulk_create.
        sql.insert(AuditEvent, list(events), returning_pk=True)
    return list(events)


# The table name comes from the model, never from input.
_HEAD_SQL = "SELECT hash FROM {table} ORDER BY id DESC LIMIT 1"


def audit_record(**event) -> AuditEvent:
    """Write one audit event, chained to the one before it (the arguments of
    `audit_event`)."""
    return audit_append(audit_event(**event))[0]


def audit_refusal(request: HttpRequest, action: str, *, aimed_clinic_id: int | None = None,
                  target: str = "", detail: dict | None = None) -> list[AuditEvent]:
    """A refused request (403, 404), audited for the clinic it was aimed at: the clinic of
    the object asked for where it is known (`aimed_clinic_id`), else the clinic the user's
    requests belong to, so the clinic admin's log shows the attempts against the clinic.

    Aimed at another clinic than the user's own, the attempt is written twice: for the
    target clinic (with what was asked for) and for the user's own clinic in the shape of
    an unknown id (no target), so the attacker's clinic log never tells an object of
    another clinic from one that does not exist."""
    from acuback.accounts import policy

    detail = {"method": request.method, "path": request.path[:300], **(detail or {})}
    own = policy.request_clinic_id(request.user)
    if aimed_clinic_id is None or aimed_clinic_id == own:
        return audit_append(audit_event(request=request, action=action, clinic=own,
                                        target=target if aimed_clinic_id else "",
                                        detail=detail))
    events = [audit_event(request=request, action=action, clinic=aimed_clinic_id,
                          target=target, detail=detail)]
    if own is not None:
        events.append(audit_event(request=request, action=action, clinic=own, detail=detail))
    return audit_append(*events)


def audit_refusal_of(request: HttpRequest, action: str, *, rows, clinic_path: str,
                     pk: int | None, detail: dict | None = None) -> list[AuditEvent]:
    """A refused request that names row `pk` of `rows` (every row, unscoped): audited
    for the clinic the row belongs to when it exists (``audit_refusal``, with the row as
    target), else as an unknown id. The doors that are not web pages (FHIR, the JSON
    API) name their object this way; ``web.errors._aimed_at`` does it from the URL."""
    clinic_id = rows.filter(pk=pk).values_list(clinic_path, flat=True).first() \
        if pk else None
    target = f"{rows.model._meta.label_lower}:{pk}" if clinic_id else ""
    return audit_refusal(request, action, aimed_clinic_id=clinic_id, target=target,
                         detail=detail)


def audit_read(request: HttpRequest, patient, page: str | None = None) -> None:
    """A GET of a page that shows this patient's data (forms included)."""
    if request.method == "GET":
        match = getattr(request, "resolver_match", None)
        audit_record(request=request, action="page.view", patient=patient,
                     detail={"page": page or (match.url_name if match else request.path)})
