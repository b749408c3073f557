"""Reads: free slots, the day and week calendars, what is due per appointment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from acuback import sql
from acuback.accounts import zones
from acuback.accounts.models import Credential, Location, Practitioner
from acuback.outcomes.models import ResponseStatus, TimePoint
from acuback.patients.models import ConsentKind, EpisodeStatus
from acuback.screening.models import ScreeningStatus

from . import grid, slots
from .models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    AvailabilityException,
    ExceptionKind,
    SlotHold,
    WeeklyAvailability,
)

SLOT_STEP = timedelta(minutes=15)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)


def open_intervals(practitioner: Practitioner, location: Location, day: date):
    """Weekly windows valid that day, plus extra hours, minus leave and holidays."""
    tz = ZoneInfo(location.time_zone)
    weekly = WeeklyAvailability.objects.filter(
        practitioner=practitioner, location=location, weekday=day.weekday()).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=day),
        Q(valid_to__isnull=True) | Q(valid_to__gte=day))
    exceptions = list(AvailabilityException.objects.filter(location=location, date=day).filter(
        Q(practitioner=practitioner) | Q(practitioner__isnull=True)))
    return _open_from(day, tz, weekly, exceptions, practitioner.pk)


def _open_from(day: date, tz: ZoneInfo, weekly: Iterable[WeeklyAvailability],
               exceptions: Iterable[AvailabilityException], practitioner_pk: int):
    """The practitioner's working intervals that day from the weekly windows and the
    exceptions that apply to them there (their own and the location's holidays)."""
    exceptions = list(exceptions)
    whole_day_closed = any(e.kind == ExceptionKind.CLOSED and e.start_time is None
                           for e in exceptions)
    if whole_day_closed:
        return []
    return slots.open_intervals(
        day, tz, [slots.Window(w.start_time, w.end_time) for w in weekly],
        closed=[slots.Window(e.start_time, e.end_time) for e in exceptions
                if e.kind == ExceptionKind.CLOSED],
        extra=[slots.Window(e.start_time, e.end_time) for e in exceptions
               if e.kind == ExceptionKind.EXTRA and e.practitioner_id == practitioner_pk])


def busy_for(practitioner: Practitioner, day: date, tz: ZoneInfo,
             exclude: Appointment | None = None) -> list[slots.Busy]:
    """Every active booking of the practitioner that day, at any location, and every
    slot held for a public booking request that is not yet confirmed or expired."""
    start, end = day_bounds(day, tz)
    qs = Appointment.objects.active().filter(practitioner=practitioner, start__lt=end,
                                             busy_until__gt=start)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    held = SlotHold.objects.live().filter(practitioner=practitioner, start__lt=end,
                                          busy_until__gt=start)
    # One query for both (a page lists many days' slots).
    return [slots.Busy(begin, until) for begin, until in qs.order_by().values_list(
        "start", "busy_until").union(held.order_by().values_list("start", "busy_until"),
                                     all=True)]


def free_slots(practitioner: Practitioner, location: Location, type: AppointmentType,
               day: date) -> list[datetime]:
    tz = ZoneInfo(location.time_zone)
    return slots.free_slots(open_intervals(practitioner, location, day),
                            busy_for(practitioner, day, tz), duration=type.duration,
                            buffer=type.buffer, step=SLOT_STEP, not_before=timezone.now())


def cleared_practitioners(location: Location, day: date):
    """The active practitioners of the location's clinic cleared to needle there on that
    day (``Credential.objects.valid_for_needling``, the licence rule in SQL): the only
    ones booking offers, so a practitioner whose licence has lapsed is never offered."""
    return Practitioner.objects.filter(
        clinic_id=location.clinic_id, is_active=True).filter(Exists(
            Credential.objects.valid_for_needling(jurisdiction=location.jurisdiction, on=day)
            .filter(practitioner=OuterRef("pk")))).order_by("display_name", "pk")


# How far "next available" looks ahead, and how many times it offers: a project rule (a
# month covers a weekly clinic's leave; ten times fit a phone screen).
NEXT_AVAILABLE_DAYS = 28
NEXT_AVAILABLE_COUNT = 10


@dataclass(frozen=True)
class OpenSlot:
    """A free time with whom, its label on the location's clock (text, so no template
    converts it to another zone)."""
    practitioner: Practitioner
    start: datetime
    label: str

    @property
    def value(self) -> str:
        return f"{self.practitioner.pk} {self.start.isoformat()}"


def next_available(*, location: Location, type: AppointmentType, day: date,
                   practitioner: Practitioner | None = None,
                   days: int = NEXT_AVAILABLE_DAYS,
                   count: int = NEXT_AVAILABLE_COUNT) -> list[OpenSlot]:
    """The earliest free times from ``day`` on, across the days ahead and every
    practitioner cleared to needle at the location on each day (or only the one chosen):
    earliest first, the practitioner's name breaking a tie."""
    found: list[OpenSlot] = []
    for offset in range(days):
        on = day + timedelta(days=offset)
        cleared = cleared_practitioners(location, on)
        if practitioner is not None:
            cleared = cleared.filter(pk=practitioner.pk)
        for who in cleared:
            found += [OpenSlot(who, start, zones.local(start, location).strftime("%a %-d %b %H:%M"))
                      for start in free_slots(who, location, type, on)]
        if len(found) >= count:
            break
    found.sort(key=lambda s: (s.start, s.practitioner.display_name))
    return found[:count]


def slot_choices(free: list[datetime], location: Location) -> list[tuple[datetime, str]]:
    """Free start times as (the instant, "13:30" on the location's clock) for a form: the
    label is text, so no template converts it to another zone."""
    return [(s, zones.local(s, location).strftime("%H:%M")) for s in free]


@dataclass
class CalendarEntry:
    """One visit on the day view, as plain values: a busy day has 170, and building model
    instances for them and looking through those in the template was most of the page."""
    pk: int
    status: str
    status_label: str
    cancel_reason: str
    patient_id: int
    patient_name: str
    practitioner_name: str
    type_name: str
    location_name: str
    local_start: datetime
    local_end: datetime
    due: list[str] = field(default_factory=list)
    practitioner_id: int = 0
    location_id: int = 0

    @property
    def hours(self) -> str:
        start, end = self.local_start, self.local_end  # (strftime is 10x slower)
        return f"{start.hour:02}:{start.minute:02}–{end.hour:02}:{end.minute:02}"

    @property
    def is_open(self) -> bool:
        return self.status in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


# The day's visits, with the names the rows show. Written in SQL: 170 rows through the
# ORM's values() cost 1.0 ms more than the statement on SQLite and 0.7 ms on PostgreSQL
# (most of it converting each value), on every day view. Values are parameters; the
# optional filters add their condition.
_DAY_SQL = """
SELECT a.id, a.status, a.cancel_reason, a.start, a."end", a.patient_id, p.given_name,
       p.family_name, pr.display_name, t.name, t.kind, l.name, l.time_zone,
       a.practitioner_id, a.location_id
FROM scheduling_appointment a
JOIN patients_patient p ON p.id = a.patient_id
JOIN accounts_practitioner pr ON pr.id = a.practitioner_id
JOIN scheduling_appointmenttype t ON t.id = a.type_id
JOIN accounts_location l ON l.id = a.location_id
WHERE a.clinic_id = %s AND a.start >= %s AND a.start < %s {filters}
ORDER BY a.start, pr.display_name"""


def _aware(value: datetime) -> datetime:
    """SQLite gives back the UTC time it stores without its zone (the ORM adds it)."""
    return timezone.make_aware(value, UTC) if timezone.is_naive(value) else value


def day_calendar(*, clinic_id: int, location: Location | None, practitioner: Practitioner | None,
                 day: date, tz: ZoneInfo, days: int = 1) -> list[CalendarEntry]:
    """The day's appointments (or those of ``days`` days from it) with what is due for
    each (a fixed number of queries)."""
    from acuback.billing.selectors import coverage_flags

    start, _ = day_bounds(day, tz)
    _, end = day_bounds(day + timedelta(days=days - 1), tz)
    adapt = connection.ops.adapt_datetimefield_value
    filters, params = "", [clinic_id, adapt(start), adapt(end)]
    if location is not None:
        filters, params = filters + " AND a.location_id = %s", [*params, location.pk]
    if practitioner is not None:
        filters, params = filters + " AND a.practitioner_id = %s", [*params, practitioner.pk]
    rows = sql.rows(_DAY_SQL.format(filters=filters), params)
    patients = {row[5] for row in rows}
    facts = due_facts(patients)
    flags = coverage_flags(patient_ids=patients, on=day)
    labels = dict(AppointmentStatus.choices)
    zones: dict[str, ZoneInfo] = {}
    entries = []
    for (pk, status, cancel_reason, starts, ends, patient_id, given_name, family_name,
         practitioner_name, type_name, type_kind, location_name, time_zone,
         practitioner_id, location_id) in rows:
        local_tz = zones.setdefault(time_zone, ZoneInfo(time_zone))
        due = due_items({**facts[patient_id], "type__kind": type_kind})
        if patient_id in flags:
            due.append(flags[patient_id])
        entries.append(CalendarEntry(
            pk=pk, status=status, status_label=labels.get(status, ""),
            cancel_reason=cancel_reason, patient_id=patient_id,
            patient_name=f"{given_name} {family_name}", practitioner_name=practitioner_name,
            type_name=type_name, location_name=location_name,
            local_start=_aware(starts).astimezone(local_tz),
            local_end=_aware(ends).astimezone(local_tz), due=due,
            practitioner_id=practitioner_id, location_id=location_id))
    return entries


def due_facts(patient_ids: Iterable[int]) -> dict[int, dict[str, bool]]:
    """What ``due_items`` decides on, for each of these patients, in two statements: their
    treatment consents, and their open episodes with whether each has a signed screening
    and a baseline questionnaire. Written in SQL: a busy day has 170 patients, and the ORM
    took 4.0 ms over what the database answers in 0.5 ms. (As EXISTS in the calendar's own
    query, PostgreSQL planned them over every open episode of the network: 15 ms.)"""
    facts = {pk: {"has_treatment_consent": False, "has_open_episode": False,
                  "has_signed_intake": False, "has_baseline": False} for pk in patient_ids}
    patient_is, ids = sql.id_in("patient_id", facts)
    for (pk,) in sql.rows(
            f"SELECT patient_id FROM patients_consent WHERE {patient_is} AND kind = %s"  # noqa: S608 - values are parameters  # nosec B608
            " AND withdrawn_at IS NULL", [*ids, ConsentKind.TREATMENT.value]):
        facts[pk]["has_treatment_consent"] = True
    episode_patient_is, ids = sql.id_in("e.patient_id", facts)
    for pk, signed_intake, baseline in sql.rows(
            "SELECT e.patient_id,"  # noqa: S608 - values are parameters  # nosec B608
            " EXISTS (SELECT 1 FROM screening_screening s WHERE s.episode_id = e.id"
            " AND s.status = %s),"
            " EXISTS (SELECT 1 FROM outcomes_questionnaireresponse r WHERE r.episode_id = e.id"
            " AND r.status = %s AND r.time_point = %s)"
            f" FROM patients_episodeofcare e WHERE {episode_patient_is} AND e.status <> %s",
            [ScreeningStatus.SIGNED.value, ResponseStatus.SUBMITTED.value,
             TimePoint.BASELINE.value, *ids, EpisodeStatus.DISCHARGED.value]):
        patient = facts[pk]
        patient["has_open_episode"] = True
        patient["has_signed_intake"] |= bool(signed_intake)
        patient["has_baseline"] |= bool(baseline)
    return facts


def due_items(facts: dict) -> list[str]:
    """What the visit needs, from the patient's ``due_facts`` and the type's kind (no
    queries)."""
    due = []
    if not facts["has_treatment_consent"]:
        due.append("treatment consent")
    if not facts["has_open_episode"]:
        due.append("open an episode and intake")
    elif not facts["has_signed_intake"]:
        due.append("intake screening")
    if facts["has_open_episode"] and not facts["has_baseline"]:
        due.append("baseline questionnaires")
    if facts["type__kind"] == "re_evaluation":
        due.append("re-evaluation questionnaires")
    return due


def week_days(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(7)]


@dataclass
class CalendarGrid:
    """One location's time grid: its rows (the location's clock) and its columns, each
    with its cells from top to bottom (scheduling.grid)."""

    location: Location
    rows: list
    columns: list[grid.Column]
    cells: list[list[grid.Cell]]
    days: list[date]

    @property
    def step_minutes(self) -> int:
        return int(SLOT_STEP.total_seconds() // 60)

    @property
    def zone(self) -> str:
        tz = zones.zone_of(self.location)
        noon = datetime.combine(self.days[0], datetime.min.time(), tzinfo=tz) + timedelta(hours=12)
        return f"{self.location.time_zone} ({noon.tzname()})"


def calendar_grids(*, locations: Iterable[Location], days: list[date],
                   entries: list[CalendarEntry], practitioner: Practitioner | None = None,
                   now: datetime | None = None) -> list[CalendarGrid]:
    """The time grids of the calendar, one per location with anyone working or any visit
    there: for one day, a column per practitioner working that day; for a practitioner's
    week (``practitioner`` and seven ``days``), a column per day. A column's free time is
    offered only when its practitioner is cleared to needle there that day. A fixed
    number of queries, whatever the day holds (``entries`` come from day_calendar)."""
    locations = list(locations)
    by_pk = {location.pk: location for location in locations}
    first, last = days[0], days[-1]
    weekly = WeeklyAvailability.objects.filter(
        location_id__in=by_pk, weekday__in={d.weekday() for d in days}).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=last),
        Q(valid_to__isnull=True) | Q(valid_to__gte=first))
    exceptions = AvailabilityException.objects.filter(location_id__in=by_pk, date__gte=first,
                                                      date__lte=last)
    if practitioner is not None:
        weekly = weekly.filter(practitioner=practitioner)
        exceptions = exceptions.filter(Q(practitioner=practitioner) |
                                       Q(practitioner__isnull=True))
        entries = [e for e in entries if e.practitioner_id == practitioner.pk]
    weekly, exceptions = list(weekly.order_by()), list(exceptions.order_by())
    entries = [e for e in entries if e.location_id in by_pk]
    working = ({w.practitioner_id for w in weekly} | {e.practitioner_id for e in entries} |
               {x.practitioner_id for x in exceptions if x.kind == ExceptionKind.EXTRA})
    week = practitioner is not None and len(days) > 1
    if week:  # every day a column, working or not
        working.add(practitioner.pk)
    people = {p.pk: p for p in Practitioner.objects.filter(pk__in=working)
              .prefetch_related("credentials")}
    bounds = [day_bounds(d, zones.zone_of(location)) for location in locations for d in (first, last)]
    busy = _busy_by_practitioner(people, min(b[0] for b in bounds), max(b[1] for b in bounds))
    now = now or timezone.now()
    grids = []
    for location in locations:
        tz = zones.zone_of(location)
        columns = []
        for day in days:
            whose = [people[practitioner.pk]] if week else sorted((people[pk] for pk in {
                *(w.practitioner_id for w in weekly if w.location_id == location.pk),
                *(x.practitioner_id for x in exceptions if x.location_id == location.pk
                  and x.practitioner_id is not None and x.date == day),
                *(e.practitioner_id for e in entries if e.location_id == location.pk)}),
                key=lambda p: (p.display_name, p.pk))
            for who in whose:
                column = _column(location, tz, day, who, weekly, exceptions, entries, busy,
                                 always=week)
                if column is not None:
                    columns.append(column)
        rows = grid.hours(columns, SLOT_STEP)
        if rows:
            grids.append(CalendarGrid(location, rows, columns,
                                      [grid.layout(c, rows, SLOT_STEP, now) for c in columns],
                                      days))
    return grids


def _column(location, tz, day, who, weekly, exceptions, entries, busy, always=False):
    """The practitioner's column at the location that day; None when they neither work
    there that day nor have a visit there (unless ``always``: a week has seven days)."""
    windows = [w for w in weekly if w.location_id == location.pk and w.practitioner_id == who.pk
               and w.weekday == day.weekday()
               and (w.valid_from is None or w.valid_from <= day)
               and (w.valid_to is None or w.valid_to >= day)]
    applying = [x for x in exceptions if x.location_id == location.pk and x.date == day
                and x.practitioner_id in (None, who.pk)]
    open_ = _open_from(day, tz, windows, applying, who.pk)
    visits = [e for e in entries if e.location_id == location.pk and e.practitioner_id == who.pk
              and e.local_start.date() == day]
    if not visits and not always and (not open_ or not who.is_active):
        return None  # an inactive practitioner's old hours are not a column
    clearance = who.clearance_at(location, day)
    return grid.Column(
        label=who.display_name, day=day, tz=tz, open=open_, busy=busy.get(who.pk, []),
        bookable=clearance.cleared, entries=visits, practitioner_pk=who.pk,
        location_pk=location.pk,
        note="" if clearance.cleared else f"not cleared to needle here: {clearance.reason}")


def _busy_by_practitioner(practitioner_ids, start: datetime, end: datetime
                          ) -> dict[int, list[tuple[datetime, datetime]]]:
    """busy_for's rule for many practitioners at once: their active visits (with buffers)
    at any location and the slots held for public booking requests, in one query."""
    visits = Appointment.objects.active().filter(practitioner_id__in=practitioner_ids,
                                                 start__lt=end, busy_until__gt=start)
    held = SlotHold.objects.live().filter(practitioner_id__in=practitioner_ids,
                                          start__lt=end, busy_until__gt=start)
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for who, begin, until in visits.order_by().values_list(
            "practitioner_id", "start", "busy_until").union(
            held.order_by().values_list("practitioner_id", "start", "busy_until"), all=True):
        busy.setdefault(who, []).append((begin, until))
    return busy
