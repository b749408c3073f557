"""Visit counters, derived from signed sessions (never edited by hand)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection

from acuback import sql
from acuback.clinical import coverage, diagnoses, episodes, responders
from acuback.patients.models import CauseCategory, EpisodeStatus, Patient
from acuback.treatment.models import Session, SessionStatus

from .models import Abn, CoveragePlan, PayerKind


@dataclass(frozen=True)
class CoverageStatus:
    plan: CoveragePlan | None
    label: str
    used: int
    remaining: int | None
    modifiers: tuple[str, ...]
    warnings: tuple[str, ...]
    next_threshold: str = ""
    window_end: date | None = None  # Medicare: end of the 90-day initial window

    @property
    def tone(self) -> str:
        return "bad" if self.warnings else "ok"


def visit_dates(patient: Patient, before: date | None = None) -> list[date]:
    """The days of the patient's signed sessions, in order (before `before`, if given).
    Written out in SQL: the chart asks on every view, and the ORM spent 0.4 ms building it."""
    table = connection.ops.quote_name(Session._meta.db_table)
    condition, params = "", [patient.pk, SessionStatus.SIGNED.value]
    if before is not None:
        condition, params = " AND session_date < %s", [
            *params, connection.ops.adapt_datefield_value(before)]
    return [day for (day,) in sql.rows(
        f"SELECT session_date FROM {table} WHERE patient_id = %s AND status = %s"  # noqa: S608 - name from the model  # nosec B608
        f"{condition} ORDER BY session_date", params)]


def coverage_status(*, patient: Patient, on: date) -> CoverageStatus:
    """What the next visit on `on` would mean for the primary coverage (4 queries)."""
    plan = CoveragePlan.objects.primary_in_force(patient.pk, on)
    prior = visit_dates(patient, before=on)
    if plan is None or plan.payer.kind == PayerKind.SELF_PAY:
        return CoverageStatus(plan, "Self-pay", len(prior), None, (), ())
    if plan.payer.kind == PayerKind.MEDICARE:
        return _medicare(patient, plan, prior, on)
    if plan.visit_limit is None:
        return CoverageStatus(plan, str(plan.payer), len(prior), None, (), ())
    left = coverage.plan_visits_left(coverage.PlanLimit(plan.visit_limit, plan.limit_period,
                                                        plan.rolling_days), prior, on)
    warnings = () if left > 0 else (f"{plan.payer}: the plan's {plan.visit_limit} visits are "
                                    "used up; the next visit is not expected to be covered.",)
    return CoverageStatus(plan, str(plan.payer), plan.visit_limit - left, max(0, left - 1),
                          (), warnings)


def _medicare(patient, plan, prior, on) -> CoverageStatus:
    from acuback.outcomes.selectors import progress

    episode = patient.episodes.exclude(status=EpisodeStatus.DISCHARGED).first()
    if episode is None:
        return CoverageStatus(plan, "Medicare", len(prior), None, (),
                              ("No open episode: Medicare eligibility cannot be checked.",))
    onset = min(episode.onset_date, on)
    specific = episode.cause == CauseCategory.SPECIFIC or any(
        diagnoses.BY_CODE.get(c) and diagnoses.BY_CODE[c].specific_cause
        for c in episode.diagnosis_codes)
    covered = plan.payer.covered_diagnoses
    eligible = coverage.eligibility(
        duration_weeks=episodes.weeks_since(onset, on), specific_cause=specific,
        related_to_surgery=episode.related_to_surgery,
        related_to_pregnancy=episode.related_to_pregnancy,
        diagnosis_codes=episode.diagnosis_codes,
        covered_codes=frozenset(covered) if covered is not None else None,
        practitioner_eligible=True)  # checked per session against the rendering practitioner
    state = progress(episode)
    improved = any(s.status is not None and s.status.change.direction == "improving"
                   for s in state.series if s.instrument_id in responders.PAIN_AND_FUNCTION)
    rule = coverage.NcdRule(year=coverage.YearConvention(plan.payer.year_convention))
    abn = Abn.objects.filter(patient=patient, visit_date=on).exists()
    decision = coverage.next_visit(prior_visits=prior, on=on, eligible=eligible,
                                   improvement_documented=improved,
                                   not_improving=state.not_improving, abn_signed=abn, rule=rule)
    advice = ("An ABN is signed for this date: billed with GA." if abn else
              "Expected denial: get an ABN signed (GA), or the clinic carries the loss (GZ).")
    warnings = tuple(f"Medicare: {r}. {advice}" for r in decision.reasons)
    return CoverageStatus(plan, f"Medicare · visit {decision.ordinal}", decision.ordinal - 1,
                          decision.remaining, decision.modifiers, warnings,
                          decision.next_threshold,
                          decision.window_end if decision.ordinal <= rule.initial_visits
                          else None)


def coverage_flags(*, patient_ids, on: date) -> dict[int, str]:
    """A short coverage warning per patient (a collection of ids, or a query of them), in
    at most three queries.

    It counts signed visits in the 12 months before `on` against the primary plan
    (Medicare: 12 initial, 20 a year); the chart shows the exact NCD decision.
    """

    from django.db.models import Count, Exists, OuterRef, QuerySet

    if isinstance(patient_ids, QuerySet):
        # Each plan looks its patient up in the query (EXISTS), rather than the query's
        # patients listed first: SQLite built the list of a clinic's 9,000 active patients
        # on every dashboard view (4 ms) to match a handful of plans, or none.
        match = Exists(patient_ids.filter(patient_id=OuterRef("patient_id")))
        plans: dict[int, CoveragePlan] = {}
        for plan in (CoveragePlan.objects.in_force(on).filter(match)
                     .select_related("payer").order_by("patient_id", "priority", "pk")):
            plans.setdefault(plan.patient_id, plan)
    else:  # ids (the day view's 170)
        plans = CoveragePlan.objects.primaries_in_force(patient_ids, on)
    counts = {} if not plans else dict(Session.objects.filter(
        patient_id__id_in=list(plans), status=SessionStatus.SIGNED,
        session_date__gt=on - timedelta(days=365), session_date__lt=on)
        .values("patient_id").annotate(n=Count("pk")).values_list("patient_id", "n"))
    flags = {}
    for patient_id, plan in plans.items():
        used = counts.get(patient_id, 0)
        if plan.payer.kind == PayerKind.MEDICARE:
            if used >= coverage.MEDICARE.annual_cap:
                flags[patient_id] = f"Medicare: visit {used + 1}, over the annual cap"
            elif used >= coverage.MEDICARE.initial_visits:
                flags[patient_id] = (f"Medicare: visit {used + 1} needs documented "
                                     "improvement (KX)")
        elif plan.payer.kind == PayerKind.COMMERCIAL and plan.visit_limit is not None \
                and used >= plan.visit_limit:
            flags[patient_id] = f"{plan.payer}: plan limit of {plan.visit_limit} reached"
    return flags
