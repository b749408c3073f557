"""The staff home pages' day (issue #28 §3): the practitioner's patients of today in order
and the front desk's arrivals, each with what the visit still needs as links that resolve
it; and the open emergency referrals a clinician answers for. A fixed number of queries
whatever the day holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse

from acuback.accounts import policy, zones
from acuback.clinical.safety import Outcome
from acuback.outcomes.models import OutcomeAlert
from acuback.screening.models import ReferralClearance, Screening, ScreeningStatus

from . import selectors
from .models import AppointmentStatus

# What due_items says, the page that resolves it (its chart tab) in words for a button,
# and the permission that page asks: a role without it sees the need, not a link it may
# not follow (the front desk's "Questionnaires" answered 403, issue #28 §3).
_RESOLVES = {
    "treatment consent": ("Take consent", "patient_clinical", "consent.record"),
    "open an episode and intake": ("Open an episode", "episode_create", "episode.manage"),
    "intake screening": ("Screen", "patient_clinical", "screening.edit"),
    "baseline questionnaires": ("Questionnaires", "patient_outcomes", "outcome.enter"),
    "re-evaluation questionnaires": ("Questionnaires", "patient_outcomes", "outcome.enter"),
}
_CHART = ("Chart", "patient_chart", "patient.view")  # coverage flags
# Needs the patient can answer from home: the list offers to e-mail the link
# (web.desk_links), to whoever may send links (issue #28 §3).
SENDS = {"intake screening": "intake", "baseline questionnaires": "questionnaires",
         "re-evaluation questionnaires": "questionnaires"}
_SEND = "outcome.send_link"
_ALERT = ("Record the follow-up", "patient_outcomes", "outcome.alert.acknowledge")


@dataclass
class DayVisit:
    entry: selectors.CalendarEntry
    needs: list[tuple[str, str, str]] = field(default_factory=list)  # what, action, link
    alert: bool = False
    sends: dict[str, str] = field(default_factory=dict)  # what -> the URL that e-mails it

    @property
    def need_rows(self) -> list[tuple[str, str, str, str]]:
        """(what, action, link, send URL or "") for the template."""
        return [(*need, self.sends.get(need[0], "")) for need in self.needs]


def _need(what: str, resolves: tuple[str, str, str], patient_id: int,
          may: set[str]) -> tuple[str, str, str]:
    """(what, action, link); the action and link empty when the role may not follow it."""
    action, page, permission = resolves
    if permission not in may:
        return (what, "", "")
    return (what, action, reverse(page, args=[patient_id]))


def _needs(entry: selectors.CalendarEntry, may: set[str]) -> list[tuple[str, str, str]]:
    return [_need(item, _RESOLVES.get(item, _CHART), entry.patient_id, may)
            for item in entry.due]


def todays_visits(*, clinic, user, practitioner=None, on: date | None = None
                  ) -> list[DayVisit]:
    """Today's open visits (booked or arrived) at the clinic, or the practitioner's, in
    order of time, each with what it still needs and whether the patient has an open
    safety alert. The day is the clinic's (each visit shows its location's clock). A need
    links to its page only when `user` may open it there."""
    may = {p for _, _, p in (*_RESOLVES.values(), _CHART, _ALERT)
           if policy.can(user, p, clinic)}
    if policy.can(user, _SEND, clinic):
        may.add(_SEND)
    tz = zones.zone_of(clinic)
    day = on or zones.today_at(clinic)
    entries = [e for e in selectors.day_calendar(clinic_id=clinic.pk, location=None,
                                                 practitioner=practitioner, day=day, tz=tz)
               if e.is_open]
    alerted = set(OutcomeAlert.objects.filter(
        patient_id__in={e.patient_id for e in entries}, acknowledged_at__isnull=True)
        .values_list("patient_id", flat=True)) if entries else set()
    visits = []
    for e in entries:
        visit = DayVisit(e, _needs(e, may), e.patient_id in alerted)
        if _SEND in may:
            visit.sends = {what: reverse("visit_send_link", args=[e.pk, SENDS[what]])
                           for what in e.due if what in SENDS}
        if visit.alert:
            visit.needs.insert(0, _need("open safety alert", _ALERT, e.patient_id, may))
        visits.append(visit)
    return visits


def open_emergency_referrals(*, user, practitioner=None) -> list[Screening]:
    """Patients whose latest signed screening is an EMERGENCY referral with no clearance
    recorded on it, that this clinician answers for: they signed it, or the patient is
    booked with them. Conservative: a clearance carried forward from an earlier screening
    (screening.selectors.clearance_of) still lists it; the screening page says which."""
    latest = (Screening.objects.filter(patient=OuterRef("patient"),
                                       status=ScreeningStatus.SIGNED)
              .order_by("-signed_at", "-pk").values("pk")[:1])
    mine = Q(signed_by=user)
    if practitioner is not None:
        mine |= Q(patient__appointments__practitioner=practitioner,
                  patient__appointments__status__in=(AppointmentStatus.BOOKED,
                                                     AppointmentStatus.CHECKED_IN))
    return list(Screening.objects.filter(
        mine, status=ScreeningStatus.SIGNED, outcome=Outcome.EMERGENCY.name,
        pk=Subquery(latest))
        .filter(~Exists(ReferralClearance.objects.filter(screening=OuterRef("pk"))))
        .select_related("patient").distinct().order_by("signed_at")[:20])
