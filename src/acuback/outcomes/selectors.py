"""Reads: score series, responder status, what is due, open alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Max

from acuback import sql
from acuback.clinical import instruments, responders
from acuback.patients.models import EpisodeOfCare, EpisodeStatus
from acuback.treatment.models import Session, SessionStatus

from .models import OutcomeAlert, QuestionnaireResponse, TimePoint, current_sql
from .schedule import CLINICIAN_ONLY, FOLLOW_UP_DAYS, Schedule, patient_answerable, schedule_for


def current_responses(episode: EpisodeOfCare) -> list[QuestionnaireResponse]:
    return list(QuestionnaireResponse.objects.current().filter(episode=episode)
                .order_by("submitted_at", "pk"))


@dataclass(frozen=True)
class Series:
    instrument_id: str
    name: str
    points: list[QuestionnaireResponse]
    status: responders.MeasureStatus | None

    @property
    def scored(self) -> list[QuestionnaireResponse]:
        return [p for p in self.points if p.total is not None]

    @property
    def threshold(self) -> str | None:
        """The responder rule as the chart states it (clinical.responders)."""
        return responders.threshold_text(self.instrument_id)


def series_by_instrument(episode: EpisodeOfCare,
                         responses: list[QuestionnaireResponse] | None = None) -> list[Series]:
    """``responses``: the episode's current responses in order, when already loaded."""
    responses = current_responses(episode) if responses is None else responses
    result = []
    for instrument in instruments.all_instruments():
        points = [r for r in responses if r.instrument == instrument.id]
        if points:
            result.append(Series(instrument.id, instrument.name, points,
                                 responders.measure_status(instrument.id,
                                                           [p.total for p in points])))
    return result


@dataclass(frozen=True)
class Due:
    time_point: str
    label: str
    instruments: tuple[str, ...]

    @property
    def questionnaires(self) -> tuple[str, ...]:
        return tuple(i for i in self.instruments if i not in CLINICIAN_ONLY)

    @property
    def measurements(self) -> list[str]:
        """The clinician's physical tests, by name: measured at the visit."""
        return [instruments.get(i).name for i in self.instruments if i in CLINICIAN_ONLY]


def signed_sessions(episode: EpisodeOfCare) -> list[Session]:
    return list(Session.objects.filter(episode=episode, status=SessionStatus.SIGNED)
                .order_by("session_date"))


def due_for(episode: EpisodeOfCare, on: date, schedule: Schedule | None = None,
            responses: list[QuestionnaireResponse] | None = None,
            sessions: list[Session] | None = None) -> list[Due]:
    """What the schedule asks for now and has not been collected (2 queries, none when
    the episode's current responses and signed sessions are given).

    Baseline: until every baseline instrument is in. Review: every N signed
    sessions or every D days since the last review (or the baseline), whichever
    comes first. Discharge: once discharged. Follow-ups: 3 and 6 months after.
    """
    schedule = schedule or schedule_for(episode.patient.clinic)
    if responses is None:
        done = {(r["time_point"], r["instrument"]): r["last"] for r in
                QuestionnaireResponse.objects.current().filter(episode=episode)
                .values("time_point", "instrument").annotate(last=Max("submitted_at"))}
    else:
        done = {}
        for r in responses:
            key = (r.time_point, r.instrument)
            done[key] = max(done.get(key, r.submitted_at), r.submitted_at)

    def missing(time_point: str) -> tuple[str, ...]:
        return tuple(i for i in schedule.instruments_for(time_point)
                     if (time_point, i) not in done)

    due: list[Due] = []
    if missing(TimePoint.BASELINE):
        due.append(Due(TimePoint.BASELINE, "Baseline", missing(TimePoint.BASELINE)))
    if episode.status == EpisodeStatus.DISCHARGED:
        if missing(TimePoint.DISCHARGE):
            due.append(Due(TimePoint.DISCHARGE, "Discharge", missing(TimePoint.DISCHARGE)))
        for time_point, days in FOLLOW_UP_DAYS.items():
            if episode.discharged_on and on >= episode.discharged_on + timedelta(days=days) \
                    and missing(time_point):
                due.append(Due(time_point, TimePoint(time_point).label, missing(time_point)))
        return due
    last_review = max((v for (tp, _), v in done.items()
                       if tp in (TimePoint.REVIEW, TimePoint.BASELINE)), default=None)
    if last_review is None:
        return due
    if sessions is None:
        sessions_since = Session.objects.filter(episode=episode, status=SessionStatus.SIGNED,
                                                signed_at__gt=last_review).count()
    else:
        sessions_since = sum(1 for s in sessions if s.signed_at and s.signed_at > last_review)
    by_days = on >= last_review.date() + timedelta(days=schedule.review_every_days)
    if sessions_since >= schedule.review_every_sessions or (by_days and sessions_since):
        due.append(Due(TimePoint.REVIEW, "Review", schedule.review))
    return due


@dataclass(frozen=True)
class Progress:
    series: list[Series]
    overall: str
    not_improving: bool
    sessions: int
    review_after: int

    @property
    def overall_words(self) -> str:
        return responders.STATUS_WORDS[self.overall]

    @property
    def summary(self) -> str | None:
        """One plain sentence for the patient (clinical.responders.plain_summary)."""
        return responders.plain_summary(
            {s.instrument_id: s.status for s in self.series if s.status is not None})

    @property
    def groups(self) -> str:
        """Which measures count as pain and as function (clinical.responders)."""
        return responders.groups_text()


def progress(episode: EpisodeOfCare, *, schedule: Schedule | None = None,
             responses: list[QuestionnaireResponse] | None = None,
             sessions: list[Session] | None = None) -> Progress:
    """Queries only for what is not given (the schedule, the episode's current responses,
    its signed sessions)."""
    schedule = schedule or schedule_for(episode.patient.clinic)
    series = series_by_instrument(episode, responses)
    statuses = {s.instrument_id: s.status for s in series if s.status is not None}
    count = len(sessions) if sessions is not None else \
        Session.objects.filter(episode=episode, status=SessionStatus.SIGNED).count()
    return Progress(series, responders.overall_status(statuses),
                    responders.not_improving(statuses, count,
                                             schedule.not_improving_after_sessions),
                    count, schedule.not_improving_after_sessions)


@dataclass(frozen=True)
class EpisodeOutcomes:
    episode: EpisodeOfCare
    progress: Progress
    due: list[Due]
    session_days: list[date]


# The fields of a response that the outcome series use (progress, due, score rows, charts).
SERIES_FIELDS = ("episode_id", "instrument", "time_point", "total", "band", "score_note",
                 "submitted_at", "supersedes_id")


def _current_and_signed(episodes) -> tuple[dict[int, list], dict[int, list]]:
    """The episodes' current responses and signed sessions, in order: two queries.

    Written out in SQL (the outcomes page and the dashboard read them; the ORM spent 1.5 ms
    building the two): the responses are ``current()`` (submitted, and no response
    supersedes them), with only the fields the series use; tested against ``current()``."""
    ids = [e.pk for e in episodes]
    responses: dict[int, list[QuestionnaireResponse]] = {pk: [] for pk in ids}
    condition, params = sql.id_in("t0.episode_id", ids)
    for r in sql.fetch(QuestionnaireResponse, f"{condition} AND {current_sql('t0')}", params,
                       only=SERIES_FIELDS, tail="ORDER BY t0.submitted_at, t0.id"):
        responses[r.episode_id].append(r)
    sessions: dict[int, list[Session]] = {pk: [] for pk in ids}
    for s in sql.fetch(Session, f"{condition} AND t0.status = %s",
                       [*params, SessionStatus.SIGNED.value],
                       only=("episode_id", "session_date", "signed_at"),
                       tail="ORDER BY t0.session_date, t0.id"):
        sessions[s.episode_id].append(s)
    return responses, sessions


def progress_for(episodes, schedule: Schedule) -> dict[int, Progress]:
    """Progress of several episodes of one clinic in two queries."""
    episodes = list(episodes)
    responses, sessions = _current_and_signed(episodes)
    return {e.pk: progress(e, schedule=schedule, responses=responses[e.pk],
                           sessions=sessions[e.pk]) for e in episodes}


def patient_outcomes(patient, on: date) -> list[EpisodeOutcomes]:
    """Every episode of a patient with its progress and what is due, in four queries
    whatever the number of episodes."""
    schedule = schedule_for(patient.clinic)
    # Written out (acuback.sql), in the model's order (newest opened first).
    episodes = sql.fetch(EpisodeOfCare, "t0.patient_id = %s", [patient.pk],
                         tail="ORDER BY t0.opened_on DESC, t0.id DESC")
    responses, sessions = _current_and_signed(episodes)
    return [EpisodeOutcomes(
        e, progress(e, schedule=schedule, responses=responses[e.pk], sessions=sessions[e.pk]),
        due_for(e, on, schedule, responses[e.pk], sessions[e.pk]),
        [s.session_date for s in sessions[e.pk]]) for e in episodes]


def open_alerts(*, user):
    """Open safety alerts of the patients the user may see without breaking the glass;
    those they are responsible for first."""
    from django.db.models import Case, IntegerField, Value, When

    from acuback.patients.care import clinical_scope

    return (OutcomeAlert.objects.filter(clinical_scope(user), acknowledged_at__isnull=True)
            .annotate(mine=Case(When(responsible=user.pk, then=Value(0)), default=Value(1),
                                output_field=IntegerField()))
            .order_by("mine", "created_at")
            .select_related("patient", "response"))


def open_alerts_for(patient_id: int) -> list[OutcomeAlert]:
    """The patient's safety alerts whose follow-up is not recorded yet."""
    return list(OutcomeAlert.objects.filter(patient_id=patient_id, acknowledged_at__isnull=True))


def open_alert_reasons(patient) -> list[str]:
    """Each open safety alert as a reason not to needle until its follow-up is recorded."""
    return [f"Open safety alert ({alert.get_kind_display()}): record the follow-up on the "
            "outcomes page before needling." for alert in open_alerts_for(patient.pk)]


def responsible_clinicians(patient) -> list:
    """Who is told of a safety alert: the patient's practitioner (who treated them last,
    else who they are booked with next, else who saw them last), else the clinic's
    admins. Users with a login only."""
    from django.utils import timezone

    from acuback.scheduling.models import Appointment, AppointmentStatus

    session = (Session.objects.filter(patient=patient, practitioner__user__is_active=True)
               .select_related("practitioner__user").order_by("-session_date", "-pk").first())
    if session is not None:
        return [session.practitioner.user]
    appointments = Appointment.objects.filter(
        patient=patient, practitioner__user__is_active=True).select_related("practitioner__user")
    appointment = (appointments.filter(status=AppointmentStatus.BOOKED,
                                       start__gte=timezone.now()).order_by("start").first()
                   or appointments.order_by("-start").first())
    if appointment is not None:
        return [appointment.practitioner.user]
    return clinic_admins(patient.clinic_id)


def clinic_admins(clinic_id: int) -> list:
    """The clinic's active admins, oldest account first."""
    from acuback.accounts.models import Membership, Role

    return [m.user for m in Membership.objects.filter(
        clinic_id=clinic_id, role=Role.CLINIC_ADMIN, user__is_active=True)
        .select_related("user").order_by("user_id")]


def drafts_for_link(link) -> dict[str, QuestionnaireResponse]:
    return {r.instrument: r for r in link.responses.all()}




def questionnaires_due_for_practitioner(*, practitioner, on: date, limit: int = 15) -> list:
    """Open episodes this practitioner treated in the last 60 days, with what is due.

    Until the scheduling issue brings the day view, the home page shows this list.
    """
    episode_ids = (Session.objects.filter(practitioner=practitioner,
                                          session_date__gte=on - timedelta(days=60))
                   .values_list("episode_id", flat=True).distinct())
    episodes = list(EpisodeOfCare.objects.filter(pk__in=episode_ids)
                    .exclude(status=EpisodeStatus.DISCHARGED).select_related("patient__clinic")
                    .order_by("patient__family_name")[:limit])
    # Every episode's responses and sessions in two queries, a schedule per clinic: the
    # home page asked three queries of each of up to 15 episodes (45, 36-62 ms).
    responses, sessions = _current_and_signed(episodes)
    schedules: dict[int, Schedule] = {}
    for e in episodes:
        if e.patient.clinic_id not in schedules:
            schedules[e.patient.clinic_id] = schedule_for(e.patient.clinic)
    return [(e, due) for e in episodes
            if (due := due_for(e, on, schedules[e.patient.clinic_id], responses[e.pk],
                               sessions[e.pk]))]


def patient_due(due: Due, clinic) -> Due | None:
    """The part of a due set the patient answers (questionnaires with their wording, not
    the clinician's measurements), or None."""
    own = patient_answerable(clinic, due.instruments)
    return Due(due.time_point, due.label, own) if own else None
