"""Medicare NCD 30.3.3 (acupuncture for chronic low back pain) and generic plan limits.

Source: docs/reference/coverage-billing.md §1 and §3 ([NCD], [NCD-memo] and the
modifier sources there). The NCD's numbers are data (NcdRule) so that a payer's
own reading (the window anchor, the meaning of "a year") is configuration.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum

from . import responders

RULE_VERSION = "coverage-2026.3"


class WindowAnchor(StrEnum):
    # NCD 30.3.3 says "up to 12 visits in 90 days" and no more. ROLLING (the project's
    # Medicare default, docs/decisions/0068-the-90-day-window-is-payer.md):
    # at most 12 visits in any 90 days.
    # FIRST_VISIT: the 12 initial visits must fall within 90 days of the first visit of
    # the coverage year (coverage-billing.md §1.2 lists both readings).
    ROLLING = "rolling"
    FIRST_VISIT = "first_visit"


class YearConvention(StrEnum):
    # Medicare frequency convention: a new year starts after 11 full months have
    # passed from the month of the first service (PriorityHealth worked example:
    # first service 21 Mar 2020 -> new year from 1 Mar 2021). Project default.
    MEDICARE_11_MONTHS = "medicare_11_months"
    TWELVE_MONTHS = "twelve_months"
    CALENDAR = "calendar"


@dataclass(frozen=True)
class NcdRule:
    initial_visits: int = 12
    initial_window_days: int = 90
    extension_visits: int = 8
    annual_cap: int = 20
    year: YearConvention = YearConvention.MEDICARE_11_MONTHS
    window_anchor: WindowAnchor = WindowAnchor.ROLLING
    chronic_weeks: int = 12
    excluded_indication_modifier: str = "GY"  # payer-interpreted (§3): configurable


MEDICARE = NcdRule()


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[str, ...]
    # A setup the decision needs is missing: the line is held, never denied for it.
    held: tuple[str, ...] = ()


NCD_LIST_NOT_LOADED = ("held: configure the CMS NCD 30.3.3 diagnosis list on the Medicare "
                       "payer (loaded from the CMS spreadsheet) before this line is decided")


def eligibility(*, duration_weeks: float, specific_cause: bool, related_to_surgery: bool,
                related_to_pregnancy: bool, diagnosis_codes: Iterable[str],
                covered_codes: frozenset[str] | None, practitioner_eligible: bool,
                rule: NcdRule = MEDICARE) -> Eligibility:
    """§1.1. `covered_codes` is the CMS NCD 30.3.3 ICD-10 list when loaded; None means
    the list is not loaded, which makes a Medicare claim impossible to finalise (§4):
    the line is held until the clinic loads it. A missing configuration is never a
    coverage decision (no GZ, nothing on an ABN)."""
    reasons = []
    if duration_weeks < rule.chronic_weeks:
        reasons.append(f"back pain for {duration_weeks:.0f} weeks: the NCD covers chronic "
                       f"low back pain, lasting {rule.chronic_weeks} weeks or more")
    if specific_cause:
        reasons.append("a specific cause is identified (or a red flag is open): not "
                       "nonspecific low back pain")
    if related_to_surgery:
        reasons.append("associated with surgery")
    if related_to_pregnancy:
        reasons.append("associated with pregnancy")
    codes = list(diagnosis_codes)
    held: tuple[str, ...] = ()
    if covered_codes is None:
        held = (NCD_LIST_NOT_LOADED,)
    elif not codes or codes[0] not in covered_codes:
        reasons.append("the primary diagnosis is not on the NCD 30.3.3 list")
    if not practitioner_eligible:
        reasons.append("the rendering practitioner does not meet the NCD's requirements")
    return Eligibility(not reasons, tuple(reasons), held)


def coverage_year_start(first_service: date, on: date,
                        convention: YearConvention = YearConvention.MEDICARE_11_MONTHS) -> date:
    """The start of the coverage year that `on` falls in."""
    if convention == YearConvention.CALENDAR:
        return date(on.year, 1, 1)
    start = first_service
    while True:
        if convention == YearConvention.TWELVE_MONTHS:
            following = _add_months(start, 12)
        else:  # after 11 full months from the month of the first service
            following = _add_months(date(start.year, start.month, 1), 12)
        if on < following:
            return start
        start = following


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class VisitDecision:
    ordinal: int  # k: this visit's number in the coverage year
    covered: bool
    modifiers: tuple[str, ...]
    reasons: tuple[str, ...]
    window_end: date | None
    remaining: int  # covered visits left after this one, as things stand
    next_threshold: str = ""
    rule_version: str = RULE_VERSION
    held: tuple[str, ...] = ()  # setup gaps: the line waits, whatever the modifiers


def next_visit(*, prior_visits: Iterable[date], on: date, eligible: Eligibility,
               improvement_documented: bool, not_improving: bool, abn_signed: bool = False,
               indication_is_clbp: bool = True, rule: NcdRule = MEDICARE) -> VisitDecision:
    """§1.2 and §3: is a visit on `on` covered, and with which modifiers?

    A visit is a date of service: the prior visits are the distinct days before `on`
    (a second session on the same day is the same visit)."""
    visits = sorted({d for d in prior_visits if d < on})
    year_start = coverage_year_start(visits[0], on, rule.year) if visits else on
    in_year = [d for d in visits if d >= year_start]
    k = len(in_year) + 1
    anchor = in_year[0] if in_year else on
    if rule.window_anchor == WindowAnchor.ROLLING:
        # At most `initial_visits` in any `initial_window_days` days, whichever year
        # the earlier ones fell in.
        recent = [d for d in visits if d > on - timedelta(days=rule.initial_window_days)]
        in_window = len(recent) < rule.initial_visits
        window_end = (recent[0] if recent else on) + timedelta(
            days=rule.initial_window_days - 1)
    else:
        window_end = anchor + timedelta(days=rule.initial_window_days - 1)
        in_window = on <= window_end
    reasons: list[str] = []
    liability = False
    if not indication_is_clbp:
        return VisitDecision(k, False, (rule.excluded_indication_modifier,),
                             ("acupuncture is covered only for chronic low back pain",),
                             None, 0)
    if not eligible.eligible:
        reasons += eligible.reasons
        liability = True
    if k <= rule.initial_visits:
        if not in_window:
            reasons.append(
                f"the {rule.initial_visits} initial visits must fall within "
                f"{rule.initial_window_days} days (window ended {window_end:%Y-%m-%d})"
                if rule.window_anchor == WindowAnchor.FIRST_VISIT else
                f"already {rule.initial_visits} visits in the {rule.initial_window_days} "
                "days before this one")
            liability = True
    elif k <= rule.annual_cap:
        if not improvement_documented:
            reasons.append(f"visit {k}: visits {rule.initial_visits + 1}–{rule.annual_cap} "
                           "need documented improvement")
            liability = True
    else:
        reasons.append(f"visit {k}: no more than {rule.annual_cap} a year (year from "
                       f"{year_start:%Y-%m-%d})")
        liability = True
    if not_improving:
        reasons.append("the NCD requires stopping when the patient is not improving or "
                       "regressing")
        liability = True
    if liability:
        modifiers: tuple[str, ...] = ("GA" if abn_signed else "GZ",)
    elif k > rule.initial_visits:
        modifiers = ("KX",)
    else:
        modifiers = ()
    remaining = max(0, (rule.annual_cap if improvement_documented else rule.initial_visits) - k)
    if k < rule.initial_visits:
        threshold = f"visit {rule.initial_visits + 1} needs documented improvement"
    elif k < rule.annual_cap:
        threshold = f"annual cap of {rule.annual_cap}"
    else:
        threshold = "annual cap reached"
    return VisitDecision(k, not liability and not eligible.held, modifiers, tuple(reasons),
                         window_end, 0 if liability else remaining, threshold,
                         held=eligible.held)


def with_route(decision: VisitDecision, route: BillingRoute, rule: NcdRule = MEDICARE
               ) -> VisitDecision:
    """A service furnished by someone the NCD does not allow is not a Medicare benefit
    as furnished: the payer's excluded modifier (default GY, §3), never KX, GA or GZ."""
    if route.eligible:
        return decision
    return replace(decision, covered=False, modifiers=(rule.excluded_indication_modifier,),
                   reasons=(*decision.reasons, *route.reasons,
                            "not a Medicare benefit as furnished "
                            f"({rule.excluded_indication_modifier})"), remaining=0)


@dataclass(frozen=True)
class Reassessment:
    """What the outcome record said on a date of service (§1.2)."""

    reassessed: bool  # a pain or function measure scored again after its baseline
    improved: bool  # ... and it improved by at least the MCID
    not_improving: bool  # reassessed, and not improving or regressing (stop rule)


NOT_YET_REASSESSED = Reassessment(False, False, False)


def reassessment_on(scores: Mapping[str, Iterable[tuple[date, float | None]]], on: date, *,
                    visits: int,
                    review_after: int = responders.DEFAULT_REVIEW_AFTER_SESSIONS
                    ) -> Reassessment:
    """From the scores recorded on or before `on` only. `scores`: instrument id -> (day,
    total) in the order recorded; `visits`: visits up to and including `on`.

    A measure with only its baseline is "not yet reassessed", never "not improving":
    the stop rule needs a reassessment that shows no improvement (or a regression)."""
    statuses = {}
    for instrument_id, series in scores.items():
        if instrument_id not in responders.PAIN + responders.FUNCTION:
            continue
        known = [value for day, value in sorted(series, key=lambda p: p[0])
                 if day <= on and value is not None]
        status = responders.measure_status(instrument_id, known)
        if status is not None:
            statuses[instrument_id] = status
    if not statuses:
        return NOT_YET_REASSESSED
    improved = any(s.change.direction == "improving" for s in statuses.values())
    regressing = responders.overall_status(statuses) == "worsening"
    return Reassessment(True, improved, regressing or responders.not_improving(
        statuses, visits, review_after))


def check_modifiers(modifiers: Iterable[str]) -> list[str]:
    """§3 exclusivity: at most one of GA/GY/GZ; KX never with GA, GY or GZ."""
    mods = set(modifiers)
    problems = []
    if len(mods & {"GA", "GY", "GZ"}) > 1:
        problems.append("at most one of GA, GY and GZ on a line")
    if "KX" in mods and mods & {"GA", "GY", "GZ"}:
        problems.append("KX cannot be combined with GA, GY or GZ")
    return problems


@dataclass(frozen=True)
class Degree:
    level: str  # masters, doctoral, other
    field: str  # acupuncture, oriental_medicine, other
    accreditor: str  # ACAOM, ACAHM, other


@dataclass(frozen=True)
class RenderingFacts:
    profession: str  # physician, pa, np, cns, auxiliary (licensed acupuncturist), other
    state_authorised: bool  # physicians: allowed under state law
    degrees: tuple[Degree, ...] = ()
    acupuncture_licence_current: bool = False
    supervisor_on_record: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


# The practitioner's profession (accounts.Profession) as the NCD's categories (§1.3):
# a licensed acupuncturist furnishes Medicare acupuncture only as auxiliary personnel;
# chiropractors and physical therapists are not among the NCD's furnishers.
NCD_PROFESSION = {"physician": "physician", "pa": "pa", "np": "np",
                  "acupuncturist": "auxiliary"}
SUPERVISING = frozenset({"physician", "pa", "np"})


@dataclass(frozen=True)
class Furnisher:
    """What the record says of one practitioner on the date of service."""

    name: str
    profession: str  # accounts.Profession value
    npi: str
    licensed: bool  # a licence valid in the location's jurisdiction on the date
    degrees: tuple[Degree, ...] = ()


@dataclass(frozen=True)
class BillingRoute:
    """Who furnished, who bills, and whether Medicare may be billed for the service."""

    eligible: bool  # the service is a Medicare benefit as furnished
    held: bool  # eligible, but data the claim needs is missing: not sent
    reasons: tuple[str, ...]
    rendering_npi: str
    billing_npi: str
    supervising_npi: str
    incident_to: bool
    billing_name: str


def medicare_route(furnisher: Furnisher, supervisor: Furnisher | None) -> BillingRoute:
    """§1.3 on the date of service. `supervisor`: the practitioner supervising the
    furnisher on that date (None when no supervision is on record for it).

    Incident-to (auxiliary personnel): the supervising practitioner is the billing and
    the rendering provider, and the supervising provider too."""
    profession = NCD_PROFESSION.get(furnisher.profession, "other")
    supervisor_ok = (supervisor is not None and supervisor.profession in SUPERVISING
                     and supervisor.licensed)
    eligibility_ = rendering_eligible(RenderingFacts(
        profession=profession, state_authorised=furnisher.licensed, degrees=furnisher.degrees,
        acupuncture_licence_current=furnisher.licensed, supervisor_on_record=supervisor_ok))
    reasons = [f"{furnisher.name}: {r}" for r in eligibility_.reasons]
    if profession == "auxiliary" and supervisor is not None and not supervisor_ok:
        reasons.append(f"the supervisor on record, {supervisor.name}, is not a physician, PA "
                       "or NP with a current licence on this date")
    incident_to = profession == "auxiliary"
    biller = supervisor if incident_to and supervisor_ok and supervisor else furnisher
    held = []
    if not reasons and not biller.npi:
        held.append(f"{biller.name} has no NPI: the claim cannot name its billing provider")
    npi = biller.npi if not reasons else ""
    return BillingRoute(eligible=not reasons, held=bool(held), reasons=tuple(reasons + held),
                        rendering_npi=npi, billing_npi=npi,
                        supervising_npi=npi if incident_to else "", incident_to=incident_to,
                        billing_name=biller.name)


def rendering_eligible(facts: RenderingFacts) -> Eligibility:
    """§1.3: who may furnish Medicare acupuncture."""
    if facts.profession == "physician":
        return Eligibility(facts.state_authorised, () if facts.state_authorised
                           else ("the physician is not authorised under state law",))
    if facts.profession not in {"pa", "np", "cns", "auxiliary"}:
        return Eligibility(False, ("this profession cannot furnish Medicare acupuncture "
                                   "(chiropractors cannot bill it under their own licence)",))
    reasons = []
    if not any(d.level in {"masters", "doctoral"}
               and d.field in {"acupuncture", "oriental_medicine"}
               and d.accreditor in {"ACAOM", "ACAHM"} for d in facts.degrees):
        reasons.append("needs a master's or doctoral degree in acupuncture or Oriental "
                       "medicine from an ACAOM/ACAHM-accredited school")
    if not facts.acupuncture_licence_current:
        reasons.append("needs a current, full, active, unrestricted acupuncture licence")
    if facts.profession == "auxiliary" and not facts.supervisor_on_record:
        reasons.append("auxiliary personnel must be supervised by a physician, PA or NP/CNS")
    return Eligibility(not reasons, tuple(reasons))


@dataclass(frozen=True)
class PlanLimit:
    """A commercial plan's generic limit (data entered by the clinic)."""

    visits: int
    period: str  # calendar_year or rolling_days
    rolling_days: int = 365


def plan_visits_left(limit: PlanLimit, prior_visits: Iterable[date], on: date) -> int:
    """Visits left on the plan before a visit on `on`; a visit is a date of service."""
    visits = {d for d in prior_visits if d < on}
    if limit.period == "calendar_year":
        used = sum(1 for d in visits if d.year == on.year)
    else:
        used = sum(1 for d in visits if d > on - timedelta(days=limit.rolling_days))
    return max(0, limit.visits - used)
