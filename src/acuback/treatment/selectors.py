"""Reads: the chart timeline, and the admin's adverse-event alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from acuback.clinical import points
from acuback.patients.models import Patient
from acuback.screening.models import Screening

from .models import AdverseEvent, AEType, Insertion, Session, Severity, TreatmentPlan


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # session, plan, screening, adverse_event
    obj: object


def timeline(*, patient: Patient) -> list[TimelineEntry]:
    """Sessions, plans, screenings and adverse events, newest first (5 queries)."""
    sessions = (Session.objects.filter(patient=patient)
                .select_related("practitioner", "location")
                .prefetch_related(Prefetch("insertions", queryset=Insertion.objects.order_by(
                    "needle_set", "pk")), "addenda"))
    entries = [TimelineEntry(_at(s.signed_at or s.updated_at), "session", s) for s in sessions]
    entries += [TimelineEntry(p.created_at, "plan", p)
                for p in TreatmentPlan.objects.filter(patient=patient)]
    entries += [TimelineEntry(s.signed_at or s.updated_at, "screening", s)
                for s in Screening.objects.filter(patient=patient)]
    entries += [TimelineEntry(e.onset_at, "adverse_event", e)
                for e in AdverseEvent.objects.filter(patient=patient)]
    return sorted(entries, key=lambda e: e.at, reverse=True)


def _at(value: datetime) -> datetime:
    return value or timezone.now()


@dataclass(frozen=True)
class SiteCaution:
    code: str
    pinyin: str
    caution: points.Caution
    chest_check: bool


def site_cautions(codes) -> list[SiteCaution]:
    """The cautions of these points (safety.md §5), in the order given, each point once:
    what the plan and session pages show beside the needle sites."""
    found = []
    for code in dict.fromkeys(c for c in codes if c):
        point = points.lookup(code)
        if point is None:
            continue
        found += [SiteCaution(point.code, point.pinyin, c, points.needs_chest_check(point))
                  for c in point.cautions]
    return found


def alerts_for_admin(*, user) -> QuerySet[AdverseEvent]:
    """Serious events, suspected pneumothoraces (safety.md §5: EMERGENCY tier) and
    retained needles not yet acknowledged by a clinic admin."""
    return (AdverseEvent.objects.visible_to(user)
            .filter(Q(severity=Severity.SERIOUS) | Q(type=AEType.RETAINED)
                    | Q(type=AEType.PNEUMOTHORAX),
                    admin_acknowledged_at__isnull=True)
            .select_related("patient", "session"))


@dataclass(frozen=True)
class AdverseEventRate:
    severity: str
    events: int
    per_1000_sessions: float | None
    patients_with_event: int
    per_100_patients: float | None


def adverse_event_rates(*, clinic_ids: list[int]) -> list[AdverseEventRate]:
    """Events by severity per 1,000 signed sessions and per 100 treated patients.

    Two aggregate queries, whatever the size of the record (denominators as
    safety.md §6.1 asks: per treatment and per patient).
    """
    from django.db.models import Count

    signed = Session.objects.filter(patient__clinic_id__in=clinic_ids, status="signed")
    totals = signed.aggregate(sessions=Count("pk"), patients=Count("patient", distinct=True))
    rows = (AdverseEvent.objects.filter(patient__clinic_id__in=clinic_ids)
            .values("severity")
            .annotate(events=Count("pk"), patients=Count("patient", distinct=True)))
    by_severity = {r["severity"]: r for r in rows}
    result = []
    for severity in Severity.values:
        row = by_severity.get(severity, {"events": 0, "patients": 0})
        result.append(AdverseEventRate(
            severity=severity, events=row["events"],
            per_1000_sessions=1000 * row["events"] / totals["sessions"]
            if totals["sessions"] else None,
            patients_with_event=row["patients"],
            per_100_patients=100 * row["patients"] / totals["patients"]
            if totals["patients"] else None))
    return result
