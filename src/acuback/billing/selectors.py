"""Visit counters, derived from signed sessions (never edited by hand)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db import connection

from acuback import sql
from acuback.clinical import coverage, diagnoses, episodes
from acuback.patients.models import CauseCategory, EpisodeStatus, Patient
from acuback.screening.selectors import REFERRAL_RULES
from acuback.treatment.models import Session, SessionStatus

from .models import Abn, AbnOption, CoveragePlan, PayerKind


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
    """The days of the patient's signed sessions, each once, in order (before `before`,
    if given): a visit is a date of service, however many sessions it had.
    Written out in SQL: the chart asks on every view, and the ORM spent 0.4 ms building it."""
    table = connection.ops.quote_name(Session._meta.db_table)
    condition, params = "", [patient.pk, SessionStatus.SIGNED.value]
    if before is not None:
        condition, params = " AND session_date < %s", [
            *params, connection.ops.adapt_datefield_value(before)]
    return [_as_date(day) for (day,) in sql.rows(
        f"SELECT DISTINCT session_date FROM {table} WHERE patient_id = %s AND status = %s"  # noqa: S608 - name from the model  # nosec B608
        f"{condition} ORDER BY session_date", params)]


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


# Red flags whose finding means a specific cause of the back pain: not "nonspecific"
# low back pain as NCD 30.3.3 defines it (coverage-billing.md §1.1: RF-03..RF-06, RF-10).
SPECIFIC_CAUSE_RULES = frozenset({"RF-03", "RF-04", "RF-05", "RF-06", "RF-10"})
PREGNANCY_RULES = frozenset({"CI-PREGNANCY"})


@dataclass
class MedicareRecord:
    """What the patient's record says, read once, for the decision on each date of
    service: only what was recorded on or before that date is used."""

    visit_days: list[date]
    scores: dict[int, dict[str, list[tuple[date, float | None]]]]  # episode -> instrument
    screenings: list[tuple[date, frozenset[str], date | None]]  # day, rules, cleared on
    abn_days: set[date]  # an ABN with option 1 signed by the date: GA
    review_after: int
    abn_no_bill_days: set[date] = frozenset()  # option 2 signed by the date: not billed

    def findings_on(self, on: date) -> frozenset[str]:
        """The rules fired on the latest screening signed by `on` and still open then (a
        medical clearance recorded by `on` closes its referral)."""
        known = [s for s in self.screenings if s[0] <= on]
        if not known:
            return frozenset()
        _, rules, cleared_on = known[-1]
        if cleared_on is not None and cleared_on <= on:
            rules = rules - REFERRAL_RULES
        return rules


def abn_days(patient: Patient, local_day) -> dict[str, set[date]]:
    """The dates of service with an ABN signed in advance (coverage-billing.md §3: stored
    before the visit; CMS-R-131 option boxes): option 1 gives GA, option 2 keeps the
    visit off Medicare claims. An ABN signed after its date counts for nothing (not an
    advance notice); the day signed is the date given with a scan, else the day recorded."""
    latest: dict[date, int] = {}  # a later notice for the same date replaces the earlier
    for visit_date, option, signed_on, signed_at in Abn.objects.filter(
            patient=patient).order_by("signed_at", "pk").values_list(
            "visit_date", "option", "signed_on", "signed_at"):
        if (signed_on or local_day(signed_at)) <= visit_date:
            latest[visit_date] = option
    return {"abn_days": {d for d, o in latest.items() if o == AbnOption.BILL_MEDICARE},
            "abn_no_bill_days": {d for d, o in latest.items() if o == AbnOption.DO_NOT_BILL}}


def medicare_record(patient: Patient) -> MedicareRecord:
    """Five queries whatever the number of visits."""
    from acuback.outcomes.models import QuestionnaireResponse
    from acuback.outcomes.schedule import schedule_for
    from acuback.screening.models import ClearanceKind, Screening, ScreeningStatus

    zone = ZoneInfo(patient.clinic.time_zone)

    def day(moment) -> date:
        return moment.astimezone(zone).date()

    scores: dict[int, dict[str, list[tuple[date, float | None]]]] = {}
    for episode_id, instrument, total, submitted in (
            QuestionnaireResponse.objects.current().filter(patient=patient)
            .order_by("submitted_at", "pk")
            .values_list("episode_id", "instrument", "total", "submitted_at")):
        scores.setdefault(episode_id, {}).setdefault(instrument, []).append(
            (day(submitted), total))
    screenings = []
    for screening in (Screening.objects.filter(patient=patient, status=ScreeningStatus.SIGNED)
                      .order_by("signed_at", "pk").prefetch_related("clearances")):
        rules = frozenset(f["rule"] for f in (screening.decision or {}).get("findings", []))
        cleared = [day(c.recorded_at) for c in screening.clearances.all()
                   if c.kind == ClearanceKind.MEDICAL_CLEARANCE]
        screenings.append((day(screening.signed_at), rules, min(cleared, default=None)))
    return MedicareRecord(
        visit_days=visit_dates(patient), scores=scores, screenings=screenings,
        **abn_days(patient, day),
        review_after=schedule_for(patient.clinic).not_improving_after_sessions)


def medicare_rule(payer) -> coverage.NcdRule:
    """The payer's reading of the NCD's window and year (payer data)."""
    return coverage.NcdRule(year=coverage.YearConvention(payer.year_convention),
                            window_anchor=coverage.WindowAnchor(payer.window_anchor))


def medicare_decision(*, record: MedicareRecord, plan: CoveragePlan, episode, on: date,
                      routes: list[coverage.BillingRoute] = ()) -> coverage.VisitDecision:
    """The NCD decision for a visit on `on`, from what the record held on that date:
    the visits before it, the scores and screenings recorded by then, an ABN for the
    date, the episode's findings, and the furnishing practitioners' routes (§1.3)."""
    findings = record.findings_on(on)
    specific = (episode.cause == CauseCategory.SPECIFIC
                or any(diagnoses.is_specific_cause(c) for c in episode.diagnosis_codes)
                or bool(findings & SPECIFIC_CAUSE_RULES))
    covered = plan.payer.covered_diagnoses
    eligible = coverage.eligibility(
        duration_weeks=episodes.weeks_since(min(episode.onset_date, on), on),
        specific_cause=specific, related_to_surgery=episode.related_to_surgery,
        related_to_pregnancy=episode.related_to_pregnancy or bool(findings & PREGNANCY_RULES),
        diagnosis_codes=[diagnoses.normalise(c) for c in episode.diagnosis_codes],
        covered_codes=frozenset(covered) if covered is not None else None,
        practitioner_eligible=True)  # the route decides (GY), below
    prior = [d for d in record.visit_days if d < on]
    state = coverage.reassessment_on(record.scores.get(episode.pk, {}), on,
                                     visits=len(prior) + 1, review_after=record.review_after)
    rule = medicare_rule(plan.payer)
    decision = coverage.next_visit(prior_visits=prior, on=on, eligible=eligible,
                                   improvement_documented=state.improved,
                                   not_improving=state.not_improving,
                                   abn_signed=on in record.abn_days, rule=rule)
    for route in routes:
        decision = coverage.with_route(decision, route, rule)
    return decision


def coverage_status(*, patient: Patient, on: date) -> CoverageStatus:
    """What the next visit on `on` would mean for the primary coverage."""
    plan = CoveragePlan.objects.primary_in_force(patient.pk, on)
    prior = visit_dates(patient, before=on)
    if plan is None or plan.payer.kind == PayerKind.SELF_PAY:
        return CoverageStatus(plan, "Self-pay", len(prior), None, (), ())
    if plan.payer.kind == PayerKind.MEDICARE:
        return _medicare(patient, plan, on)
    if plan.visit_limit is None:
        return CoverageStatus(plan, str(plan.payer), len(prior), None, (), ())
    left = coverage.plan_visits_left(coverage.PlanLimit(plan.visit_limit, plan.limit_period,
                                                        plan.rolling_days), prior, on)
    warnings = () if left > 0 else (f"{plan.payer}: the plan's {plan.visit_limit} visits are "
                                    "used up; the next visit is not expected to be covered.",)
    return CoverageStatus(plan, str(plan.payer), plan.visit_limit - left, max(0, left - 1),
                          (), warnings)


def _medicare(patient, plan, on) -> CoverageStatus:
    episode = patient.episodes.exclude(status=EpisodeStatus.DISCHARGED).first()
    record = medicare_record(patient)
    prior = [d for d in record.visit_days if d < on]
    if episode is None:
        return CoverageStatus(plan, "Medicare", len(prior), None, (),
                              ("No open episode: Medicare eligibility cannot be checked.",))
    decision = medicare_decision(record=record, plan=plan, episode=episode, on=on)
    abn = on in record.abn_days
    advice = ("An ABN is signed for this date: billed with GA." if abn else
              "Expected denial: get an ABN signed (GA), or the clinic carries the loss (GZ).")
    warnings = (tuple(f"Medicare: {r}. {advice}" for r in decision.reasons)
                + tuple(f"Medicare: {r}." for r in decision.held))
    rule = medicare_rule(plan.payer)
    return CoverageStatus(plan, f"Medicare · visit {decision.ordinal}", decision.ordinal - 1,
                          decision.remaining, decision.modifiers, warnings,
                          decision.next_threshold,
                          decision.window_end if decision.ordinal <= rule.initial_visits
                          else None)


def coverage_flags(*, patient_ids, on: date) -> dict[int, str]:
    """A short coverage warning per patient (a collection of ids, or a query of them), in
    at most three queries.

    The visit limits come from the engine (coverage.next_visit, coverage.plan_visits_left)
    with each payer's year convention, window and each plan's limit period, over the
    patients' visit days; the chart shows the full decision (eligibility, improvement).
    """

    from django.db.models import Exists, OuterRef, QuerySet

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
    limited = [pid for pid, plan in plans.items() if plan.payer.kind == PayerKind.MEDICARE
               or (plan.payer.kind == PayerKind.COMMERCIAL and plan.visit_limit is not None)]
    days: dict[int, list[date]] = {pid: [] for pid in limited}
    if limited:
        for patient_id, day in (Session.objects.filter(
                patient_id__id_in=limited, status=SessionStatus.SIGNED, session_date__lt=on)
                .values_list("patient_id", "session_date").distinct()
                .order_by("patient_id", "session_date")):
            days[patient_id].append(day)
    flags = {}
    for patient_id in limited:
        plan = plans[patient_id]
        if plan.payer.kind == PayerKind.MEDICARE:
            rule = medicare_rule(plan.payer)
            decision = coverage.next_visit(
                prior_visits=days[patient_id], on=on, eligible=coverage.Eligibility(True, ()),
                improvement_documented=True, not_improving=False, rule=rule)
            k = decision.ordinal
            if k > rule.annual_cap:
                flags[patient_id] = f"Medicare: visit {k}, over the annual cap"
            elif decision.reasons:  # the 90-day window
                flags[patient_id] = f"Medicare: visit {k}, {decision.reasons[0]}"
            elif k > rule.initial_visits:
                flags[patient_id] = (f"Medicare: visit {k} needs documented "
                                     "improvement (KX)")
        else:
            left = coverage.plan_visits_left(coverage.PlanLimit(
                plan.visit_limit, plan.limit_period, plan.rolling_days), days[patient_id], on)
            if left <= 0:
                flags[patient_id] = f"{plan.payer}: plan limit of {plan.visit_limit} reached"
    return flags


def claims_for(clinic, status: str = ""):
    """The clinic's claims (one status, or all), newest first, with what each list row
    shows in one query."""
    from django.db.models import Count

    from .models import Claim, ClaimStatus

    found = (Claim.objects.filter(clinic=clinic).select_related("patient", "plan__payer",
                                                                "batch")
             .annotate(line_count=Count("lines")))
    if status in ClaimStatus.values:
        found = found.filter(status=status)
    return list(found[:200])
