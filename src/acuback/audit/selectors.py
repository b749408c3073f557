"""Reads of the audit log for the clinic admin's viewer and its CSV export."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from acuback.web.csv_cells import csv_writer

from .models import AuditEvent

CSV_COLUMNS = ("id", "at", "actor_label", "action", "clinic_id", "patient_id", "patient_mrn",
               "target", "ip_address", "break_glass", "detail", "prev_hash", "hash")


REFUSED_PREFIX = "security."


def events_for(*, clinic_id: int, action: str = "", actor=None, patient_mrn: str = "",
               since: date | None = None, until: date | None = None,
               break_glass: bool = False, refused: bool = False) -> QuerySet[AuditEvent]:
    """The clinic's audit events, newest first, filtered. Dates are the clinic's days (the
    active time zone): `until` includes the whole of that day."""
    events = AuditEvent.objects.filter(clinic_id=clinic_id).select_related("patient")
    if action:
        events = events.filter(action__startswith=action.strip())
    if actor is not None:
        events = events.filter(actor=actor)
    if patient_mrn:
        events = events.filter(patient__mrn__iexact=patient_mrn.strip())
    zone = timezone.get_current_timezone()
    # Days at the ends of the calendar bound nothing (and 9999-12-31 + 1 day overflowed).
    if since and since > date.min + timedelta(days=1):
        events = events.filter(at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until and until < date.max - timedelta(days=1):
        events = events.filter(at__lt=datetime.combine(until + timedelta(days=1), time.min,
                                                       tzinfo=zone))
    if break_glass:
        events = events.filter(break_glass=True)
    if refused:  # audit_refusal and the other refusals: every one is a security.* event
        events = events.filter(action__startswith=REFUSED_PREFIX)
    return events.order_by("-at", "-pk")


def events_csv(events: QuerySet[AuditEvent], out) -> int:
    """Write the events to `out` as CSV (times in the active time zone, ISO 8601), oldest
    first; streamed in chunks. Returns the number of events written."""
    writer = csv_writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event in events.order_by("pk").iterator(chunk_size=2000):
        writer.writerow(_csv_row(event))
        count += 1
    return count


def _csv_row(event: AuditEvent) -> list:
    """One event's cells: its time in the active zone, the patient's MRN beside the id
    people cannot look up, and the detail as JSON (a spreadsheet or script reads it)."""
    values = {c: getattr(event, c, None) for c in CSV_COLUMNS}
    values["at"] = timezone.localtime(event.at)
    values["patient_mrn"] = event.patient.mrn if event.patient_id else ""
    values["detail"] = json.dumps(event.detail, sort_keys=True, ensure_ascii=False,
                                  default=str)
    return [values[c] for c in CSV_COLUMNS]
