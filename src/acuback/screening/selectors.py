"""The safety profile: derived in this one place, never edited by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.utils import timezone

from acuback import sql
from acuback.accounts import zones
from acuback.clinical import adjuncts, diagnoses, points
from acuback.clinical.medications import LabValue, PatientLists
from acuback.clinical.safety import (
    PROHIBITED_POINTS,
    Decision,
    Outcome,
    answers_from_json,
    decide,
    needs_medical_clearance,
    with_lists,
)
from acuback.patients.models import Consent, ConsentKind, EpisodeOfCare, Patient

from .models import (
    Allergy,
    ClearanceAllows,
    ClearanceKind,
    LabResult,
    ListReview,
    Medication,
    MedicationKind,
    Problem,
    ReferralClearance,
    ResultKind,
    Screening,
    ScreeningStatus,
)
from .questions import QUESTION_TEXT


@dataclass(frozen=True)
class SafetyProfile:
    screening: Screening | None
    outcome: Outcome | None
    open_referral: bool  # URGENT or EMERGENCY, not yet cleared
    referral_cleared: bool
    needling_allowed: bool
    electroacupuncture_allowed: bool
    blocked_points: tuple[str, ...]
    blocked_regions: tuple[str, ...]
    caution_points: tuple[str, ...]
    required_acknowledgements: tuple[str, ...]
    missing_acknowledgements: tuple[str, ...]
    needling_reasons: tuple[str, ...]  # why needling is not allowed
    ea_reasons: tuple[str, ...]  # why electroacupuncture is not allowed
    findings: tuple[dict, ...] = ()
    checked_today: bool = False
    unanswered: tuple[tuple[str, str], ...] = ()  # (field, question) that must be answered
    # (rule id, who cleared it and when) for each blocking finding a clearance lifts
    cleared_findings: tuple[tuple[str, str], ...] = ()
    # (why, the points it blocks): every blocked point with its reason, in full
    blocked_by: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The adjunct therapies refused, and where (clinical.adjuncts): a clearance lifts a
    # finding's hold on needling, never these.
    adjunct_blocks: tuple[adjuncts.Block, ...] = ()
    # (why, the regions it blocks): what refuses an Ashi site, placed by its location
    blocked_region_reasons: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def ashi_problems(self, locations) -> list[str]:
        """Each Ashi site whose location lies in a blocked region, with the reason; a
        location that names no region counts as in every blocked region (project rule:
        unknown is not "no"), as points.site_needs_chest_check reads it."""
        found = []
        for where in locations:
            regions = points.site_regions(None, where)
            reasons = [why for why, blocked in self.blocked_region_reasons
                       if regions is None or set(blocked) & set(regions)]
            if not reasons:
                continue
            label = f"Ashi ({where or 'no location'})"
            if regions is None:
                found.append(f"{label} names no body region, so it counts as in every "
                             "blocked region and is blocked for this patient: "
                             f"{'; '.join(reasons)}. Say where it is (e.g. “left calf”, "
                             "“L4”).")
            else:
                found.append(f"{label} is blocked for this patient: {'; '.join(reasons)}.")
        return found

    @property
    def adjunct_lines(self) -> list[str]:
        """The adjuncts refused, and where, in words (the banner)."""
        return adjuncts.summary(self.adjunct_blocks)

    def adjunct_problems(self, entries) -> list[str]:
        """Each adjunct of a plan or session the profile refuses, with the reason."""
        return adjuncts.problems(self.adjunct_blocks, entries)

    def reason_for(self, code: str) -> str:
        """Why a point is blocked, in words ("" when it is not)."""
        return "; ".join(why for why, codes in self.blocked_by if code in codes)

    @property
    def blocked_region_labels(self) -> list[str]:
        return [r.replace("_", " ") for r in self.blocked_regions]

    @property
    def tone(self) -> str:
        if self.open_referral or not self.needling_allowed:
            return "bad"
        if self.outcome is not None and self.outcome > Outcome.PROCEED:
            return "warn"
        return "warn" if self.missing_acknowledgements else "ok"


# Always flagged for extra care (safety.md §5: pneumothorax risk points).
PNEUMOTHORAX_POINTS = tuple(p.code for p in points.all_points() if p.pneumothorax_caution)
PREGNANCY_POINTS = tuple(p.code for p in points.all_points() if p.pregnancy_caution)
# Referrals a medical clearance answers (safety.md §1.1: URGENT and EMERGENCY tiers).
REFERRAL_RULES = frozenset({"RF-01", "RF-02", "RF-03", "RF-04", "RF-05", "RF-06", "RF-07",
                            "RF-09"})


# Findings cleared by answering the questions they name, not by a clearance.
CLEARED_BY_ANSWERING = frozenset({"ASK", "RF-01-ASK"})


def needs_clearance(finding: dict) -> bool:
    """A finding that blocks needling (or is an URGENT or EMERGENCY referral) until a
    clearance is recorded."""
    return finding["rule"] not in CLEARED_BY_ANSWERING and bool(
        {"BLOCK_NEEDLING", "DEFER_REFER"} & set(finding["actions"])
        or Outcome[finding["outcome"]] >= Outcome.URGENT)


def patient_clearances(patient_id: int) -> list[ReferralClearance]:
    """Every clearance recorded for the patient, newest first, with its episode."""
    return list(ReferralClearance.objects.filter(screening__patient_id=patient_id)
                .select_related("screening").order_by("-recorded_at", "-pk"))


def clearance_of(finding: dict, screening: Screening, clearances: list[ReferralClearance],
                 history: list[Screening] | None = None) -> ReferralClearance | None:
    """The clearance that lifts this finding of `screening`, or None.

    Carried forward while the same answers raise it (the same note) at every signed
    screening from the cleared one to this one: a finding that went away and came back
    is open again. A red flag's (RF-) only within its episode, since a new episode is
    screened afresh (NG59). A row from before rule ids were recorded clears its own
    screening's referral findings. `history`: the patient's signed screenings in the
    order signed (read when None)."""
    medical_only = needs_medical_clearance(finding["rule"], Outcome[finding["outcome"]])
    for c in clearances:
        if medical_only and c.kind != ClearanceKind.MEDICAL_CLEARANCE:
            continue  # a practitioner's own decision does not answer a doctor's question
        if not c.rule_id:
            if c.screening_id == screening.pk and finding["rule"] in REFERRAL_RULES:
                return c
        elif c.rule_id == finding["rule"] and c.raised_by == finding["note"]:
            red_flag = finding["rule"].startswith("RF-")
            if red_flag and c.screening.episode_id != screening.episode_id:
                continue
            if c.screening_id == screening.pk:
                return c
            if history is None:
                history = _signed_history(screening.patient_id)
            if _raised_throughout(c, screening, history, same_episode=red_flag):
                return c
    return None


def _signed_history(patient_id: int) -> list[Screening]:
    return list(Screening.objects.filter(patient_id=patient_id, status=ScreeningStatus.SIGNED)
                .only("pk", "episode_id", "signed_at", "decision").order_by("signed_at", "pk"))


def _raised_throughout(c: ReferralClearance, screening: Screening, history: list[Screening],
                       *, same_episode: bool) -> bool:
    """Every signed screening from the cleared one to `screening` raised the finding with
    the note it had when cleared (its answers unchanged)."""
    order = [s.pk for s in history]
    if c.screening_id not in order or screening.pk not in order:
        return False
    start, end = order.index(c.screening_id), order.index(screening.pk)
    if start > end:
        return False  # cleared later: it does not reach back
    for s in history[start:end + 1]:
        if same_episode and s.episode_id != screening.episode_id:
            continue
        if not any(f["rule"] == c.rule_id and f["note"] == c.raised_by
                   for f in (s.decision or {}).get("findings", [])):
            return False
    return True


def finding_clearances(screening: Screening, clearances: list[ReferralClearance] | None = None
                       ) -> list[tuple[dict, ReferralClearance | None]]:
    """Each finding of the screening that needs a clearance, with the one that lifts it."""
    blocking = [f for f in (screening.decision or {}).get("findings", []) if needs_clearance(f)]
    if not blocking:
        return []
    if clearances is None:
        clearances = patient_clearances(screening.patient_id)
    # The screenings in between are read only when a clearance comes from another one.
    history = _signed_history(screening.patient_id) if any(
        c.screening_id != screening.pk for c in clearances) else []
    return [(f, clearance_of(f, screening, clearances, history)) for f in blocking]


def latest_signed_screening(patient: Patient) -> Screening | None:
    """The patient's latest signed screening, with `has_clearance` (a referral clearance
    answers it), without its answers and changes (the decision holds what the safety
    profile needs; the answers are read on the screening's own page).

    Written in SQL: the chart, every session start and every save read it, and the ORM
    spent about 1 ms building this query. The same order as the ORM's
    ``order_by("-signed_at", "-pk")``."""
    screening, clearance, episode = (connection.ops.quote_name(m._meta.db_table)
                                     for m in (Screening, ReferralClearance, EpisodeOfCare))
    # Which lists changed after it was signed (issue #26 item 4): one column each.
    changed = ", ".join(
        f"EXISTS (SELECT 1 FROM {connection.ops.quote_name(m._meta.db_table)} x "  # noqa: S608 - names from the models  # nosec B608
        f"WHERE x.patient_id = {screening}.patient_id AND x.changed_at > {screening}.signed_at) "
        f"AS changed_{m._meta.model_name}" for m in LIST_MODELS)
    found = list(Screening.objects.raw(
        f"SELECT {sql.columns(Screening, exclude=('answers', 'changes'))}, "  # noqa: S608 - names from the models  # nosec B608
        f"EXISTS (SELECT 1 FROM {clearance} c WHERE c.screening_id = {screening}.id) "
        f"AS has_clearance, (SELECT e.diagnosis_codes FROM {episode} e "
        f"WHERE e.id = {screening}.episode_id) AS episode_codes, {changed} "
        f"FROM {screening} WHERE patient_id = %s AND status = %s "
        "ORDER BY signed_at DESC, id DESC LIMIT 1", [patient.pk, ScreeningStatus.SIGNED.value]))
    if not found:
        return None
    found[0].has_clearance = bool(found[0].has_clearance)  # SQLite answers 0 or 1
    found[0].lists_changed = [name for m, name in zip(LIST_MODELS, LIST_NAMES, strict=True)
                              if getattr(found[0], f"changed_{m._meta.model_name}")]
    codes = found[0].episode_codes
    found[0].episode_codes = json.loads(codes) if isinstance(codes, str) else (codes or [])
    return found[0]


def finding_text(finding: dict) -> str:
    """A finding as a page shows it: its title and note, in words (never the rule's code,
    issue #28 §6)."""
    return f"{finding['title']}: {finding['note']}"


def _coded_since(screening: Screening) -> list[str]:
    """Serious causes coded on the episode that the screening's decision does not name:
    coded after it was signed."""
    named = " ".join(f["note"] for f in (screening.decision or {}).get("findings", []))
    return [f"{d.code} {d.description}" for d in
            (diagnoses.BY_CODE.get(c) for c in screening.episode_codes)
            if d is not None and d.safety_rule and d.code not in named]


# Reasons held by apps above this one that stop needling for a patient (outcomes: an open
# safety alert, safety.md §2), registered at start-up (AppConfig.ready). The safety profile
# reads them, so every page's "needling allowed" and the session gate (which reads the
# profile) cannot disagree.
_HOLDS: list[Callable[[Patient], list[str]]] = []


def register_hold(reasons: Callable[[Patient], list[str]]) -> None:
    if reasons not in _HOLDS:
        _HOLDS.append(reasons)


def patient_holds(patient: Patient) -> list[str]:
    """Every registered reason, in words, that needling may not go ahead for the patient."""
    return [reason for reasons in _HOLDS for reason in reasons(patient)]


def safety_profile(*, patient: Patient, on: date,
                   consents_in_force: set[str] | None = None) -> SafetyProfile:
    """From the latest signed screening, its clearances and acknowledgements, and consents.
    `consents_in_force`: the kinds of the patient's consents in force, when the caller has
    just read them (the chart lists them too)."""
    screening = latest_signed_screening(patient)
    kinds_in_force = consents_in_force if consents_in_force is not None else \
        Consent.objects.kinds_in_force(patient.pk)
    reasons: list[str] = patient_holds(patient)
    if ConsentKind.TREATMENT not in kinds_in_force:
        reasons.append("No signed treatment consent is in force.")
    ea_consent = ConsentKind.ELECTROACUPUNCTURE in kinds_in_force
    if screening is None:
        reasons.append("No signed screening: complete and sign the intake first.")
        ea_reasons = ["Needling is not allowed."] + (
            [] if ea_consent else ["No signed electroacupuncture consent is in force."])
        return SafetyProfile(None, None, False, False, False, False,
                             tuple(sorted(PROHIBITED_POINTS)), (), PNEUMOTHORAX_POINTS, (), (),
                             tuple(reasons), tuple(ea_reasons),
                             blocked_by=((PROHIBITED_REASON, tuple(sorted(PROHIBITED_POINTS))),))
    decision = screening.decision or {}
    outcome = Outcome[screening.outcome]
    # Most screenings have no blocking finding: then no clearance is read.
    cleared_by = {f["rule"]: c for f, c in finding_clearances(screening) if c is not None}
    open_referrals = [Outcome[f["outcome"]] for f in decision.get("findings", [])
                      if Outcome[f["outcome"]] >= Outcome.URGENT and f["rule"] not in cleared_by]
    open_referral = bool(open_referrals)
    cleared = outcome >= Outcome.URGENT and not open_referral
    if open_referral:
        reasons.append(f"{max(open_referrals).label} is open: needs medical assessment before "
                       "any needling.")
    findings = tuple(decision.get("findings", []))
    reasons += [f"Diagnosis {coded} was coded after the last screening: record a new "
                "pre-treatment check." for coded in _coded_since(screening)]
    # The rules read the lists at the screening: a change is read at the next one.
    reasons += [f"The patient's {name} changed after the last screening: record a new "
                "pre-treatment check, which runs the rules on them." for name in
                getattr(screening, "lists_changed", [])]
    unanswered = tuple((q, QUESTION_TEXT.get(q, q.replace("_", " ")))
                       for f in findings for q in f.get("questions", ()))
    for f in findings:
        if f.get("questions"):
            # Rule ASK: each question on its own line, in the words it is asked in.
            reasons += [f"Not yet answered: {text}" for _, text in unanswered]
            continue
        blocks = {"BLOCK_NEEDLING", "DEFER_REFER"} & set(f["actions"])
        # A clearance lifts the block of the finding it names, not of other findings.
        if blocks and f["rule"] not in cleared_by:
            reasons.append(finding_text(f))
    ea_reasons = [finding_text(f) for f in findings if "BLOCK_EA" in f["actions"]]
    titles = {f["rule"]: f["title"] for f in findings}
    ea_reasons += [f"{titles.get(rule, 'A finding')} was cleared for manual needling only."
                   for rule, c in cleared_by.items() if c.allows == ClearanceAllows.MANUAL_ONLY]
    if not ea_consent:
        ea_reasons.append("No signed electroacupuncture consent is in force.")
    if reasons:
        ea_reasons.insert(0, "Needling is not allowed.")
    blocked_regions = tuple(decision.get("blocked_regions", []))
    blocked_by = _blocked_by(findings, decision)
    blocked = {code for _, codes in blocked_by for code in codes}
    required = tuple(decision.get("acknowledgements", []))
    # Most screenings ask for no acknowledgement: then there is nothing to read.
    done = set(screening.acknowledgements.values_list("text", flat=True)) if required else set()
    return SafetyProfile(
        screening=screening,
        outcome=outcome,
        open_referral=open_referral,
        referral_cleared=cleared,
        needling_allowed=not reasons,
        electroacupuncture_allowed=not ea_reasons,
        blocked_points=tuple(sorted(blocked)),
        blocked_regions=blocked_regions,
        caution_points=tuple(c for c in PNEUMOTHORAX_POINTS if c not in blocked),
        required_acknowledgements=required,
        missing_acknowledgements=tuple(t for t in required if t not in done),
        needling_reasons=tuple(reasons),
        ea_reasons=tuple(ea_reasons),
        findings=findings,
        # The clinic's calendar day, not the server's (needling_check: the location's).
        checked_today=zones.local(screening.signed_at, patient.clinic).date() == on,
        unanswered=unanswered,
        cleared_findings=tuple((rule, clearance_summary(c)) for rule, c in cleared_by.items()),
        blocked_by=blocked_by,
        adjunct_blocks=_adjunct_blocks(findings, decision),
        blocked_region_reasons=_region_blocks(findings, decision),
    )


def _adjunct_blocks(findings: tuple[dict, ...], decision: dict) -> tuple[adjuncts.Block, ...]:
    """The adjunct blocks stored with each finding; a decision signed before they were
    stored gets them from the rule (pregnancy read as the first trimester: weeks unknown)."""
    blocks: list[adjuncts.Block] = []
    for f in findings:
        if "adjunct_blocks" in f:
            blocks += [adjuncts.Block(b["adjunct"], b["region"], b["why"])
                       for b in f["adjunct_blocks"]]
        else:
            blocks += adjuncts.blocks_for(
                f["rule"], f["title"], f["actions"],
                regions=f.get("blocked_regions", decision.get("blocked_regions", [])))
    return tuple(dict.fromkeys(blocks))


# In words, as a page shows it: never the rule's id (issue #28 §6).
PROHIBITED_REASON = "Prohibited sites: never needled (nipple, umbilicus)"


def _blocked_by(findings: tuple[dict, ...], decision: dict
                ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each finding that blocks points, with the points it blocks (its named points, the
    catalogue's points in its regions, and for pregnancy the catalogue's pregnancy-caution
    points); the prohibited sites first. A decision stored before findings named their own
    blocks gives its blocks to every finding that blocks points."""
    groups: list[tuple[str, tuple[str, ...]]] = [
        (PROHIBITED_REASON, tuple(sorted(PROHIBITED_POINTS)))]
    for f in findings:
        if "BLOCK_POINTS" not in f["actions"]:
            continue
        named = set(f.get("blocked_points", decision.get("blocked_points", [])))
        regions = set(f.get("blocked_regions", decision.get("blocked_regions", [])))
        named -= set(PROHIBITED_POINTS)
        if f["rule"] == "CI-PREGNANCY":
            named |= set(PREGNANCY_POINTS)  # the catalogue's pregnancy-caution points
        # Each point its own reason: a named point what it is named for, a point in a
        # blocked region that region (a named point inside a region gets both).
        if named:
            groups.append((f"{f['title']}: "
                           f"{NAMED_POINT_REASONS.get(f['rule'], 'a named point')}",
                           tuple(sorted(named))))
        in_regions = {p.code for p in points.in_regions(regions)}
        if in_regions:
            groups.append((_region_reason(f, regions), tuple(sorted(in_regions))))
    return tuple(groups)


def _region_reason(finding: dict, regions) -> str:
    """"Pregnancy (abdomen, lower back, sacral)": why a point or Ashi site there is blocked."""
    return f"{finding['title']} ({', '.join(sorted(r.replace('_', ' ') for r in regions))})"


def _region_blocks(findings: tuple[dict, ...], decision: dict
                   ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each finding that blocks needling by region, with its regions (as _blocked_by reads
    them): what an Ashi site, which has no code, is checked against."""
    groups = []
    for f in findings:
        regions = set(f.get("blocked_regions", decision.get("blocked_regions", [])))
        if "BLOCK_POINTS" in f["actions"] and regions:
            groups.append((_region_reason(f, regions), tuple(sorted(regions))))
    return tuple(groups)


# Why a finding names its points (safety.md §4: the named-point lists of pregnancy).
NAMED_POINT_REASONS = {
    "CI-PREGNANCY": "a pregnancy-caution point, traditionally forbidden in pregnancy (LI4, "
                    "SP6, BL60, BL67, BL31-BL34, GB21 on the named-point lists)",
}


def clearance_summary(c: ReferralClearance) -> str:
    who = c.cleared_by_name or "a clinician"
    when = f" on {c.cleared_on:%Y-%m-%d}" if c.cleared_on else \
        f" (recorded {timezone.localtime(c.recorded_at):%Y-%m-%d})"
    return f"cleared by {who}{when}: {c.get_allows_display().lower()}"


# --- The medication, allergy and problem lists (issue #26 item 4) ---

LIST_MODELS = (Medication, Allergy, Problem, LabResult)
LIST_NAMES = ("medication list", "allergy list", "problem list", "blood results")


@dataclass(frozen=True)
class ChartLists:
    """Every entry of the patient's lists (in force first), the latest result of each
    kind, and the last review."""

    medications: list
    allergies: list
    problems: list
    results: list
    last_review: ListReview | None

    def latest_result(self, kind: str) -> LabResult | None:
        return next((r for r in self.results if r.kind == kind and r.in_force), None)


def chart_lists(patient: Patient) -> ChartLists:
    """The lists, each result with its age in days on the clinic's calendar (as the rules
    read it)."""
    today = zones.today_at(patient.clinic)
    lists = ChartLists(
        medications=list(Medication.objects.filter(patient=patient).select_related(
            "recorded_by", "changed_by")),
        allergies=list(Allergy.objects.filter(patient=patient).select_related(
            "recorded_by", "changed_by")),
        problems=list(Problem.objects.filter(patient=patient).select_related(
            "recorded_by", "changed_by")),
        results=list(LabResult.objects.filter(patient=patient).select_related(
            "recorded_by", "changed_by")),
        last_review=ListReview.objects.filter(patient=patient).select_related(
            "reviewed_by").first())
    for result in lists.results:
        result.age_days = (today - result.taken_on).days
    return lists


def lists_for_rules(lists: ChartLists, on: date) -> PatientLists:
    """What the rules read from the lists: the entries in force, the latest results and
    their age on `on`."""
    def lab(kind: str) -> LabValue | None:
        r = lists.latest_result(kind)
        return LabValue(float(r.value), (on - r.taken_on).days) if r else None

    active = [m for m in lists.medications if m.in_force]
    return PatientLists(
        medications=tuple(m.name for m in active if m.kind == MedicationKind.MEDICINE),
        chosen_classes=tuple((m.name, m.chosen_class) for m in active
                             if m.kind == MedicationKind.MEDICINE and m.chosen_class),
        herbs=tuple(m.name for m in active if m.kind == MedicationKind.HERB),
        allergies=frozenset(a.category for a in lists.allergies if a.in_force),
        problem_codes=frozenset(p.icd10_code for p in lists.problems
                                if p.in_force and p.icd10_code),
        inr=lab(ResultKind.INR), platelet_count=lab(ResultKind.PLATELETS))


def decide_for_patient(patient: Patient, answers: dict, on: date) -> Decision:
    """The one place a screening's answers meet the patient's lists: every screening
    write and preview decides through here (raises InvalidAnswer naming the field)."""
    return decide(with_lists(answers_from_json(answers),
                             lists_for_rules(chart_lists(patient), on)))


