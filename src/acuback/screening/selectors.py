"""The safety profile: derived in this one place, never edited by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection

from acuback import sql
from acuback.accounts import zones
from acuback.clinical import points
from acuback.clinical.safety import PROHIBITED_POINTS, Outcome
from acuback.patients.models import Consent, ConsentKind, Patient

from .models import ReferralClearance, Screening, ScreeningStatus


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


def latest_signed_screening(patient: Patient) -> Screening | None:
    """The patient's latest signed screening, with `has_clearance` (a referral clearance
    answers it), without its answers and changes (the decision holds what the safety
    profile needs; the answers are read on the screening's own page).

    Written in SQL: the chart, every session start and every save read it, and the ORM
    spent about 1 ms building this query. The same order as the ORM's
    ``order_by("-signed_at", "-pk")``."""
    screening, clearance = (connection.ops.quote_name(m._meta.db_table)
                            for m in (Screening, ReferralClearance))
    found = list(Screening.objects.raw(
        f"SELECT {sql.columns(Screening, exclude=('answers', 'changes'))}, "  # noqa: S608 - names from the models  # nosec B608
        f"EXISTS (SELECT 1 FROM {clearance} c WHERE c.screening_id = {screening}.id) "
        f"AS has_clearance FROM {screening} WHERE patient_id = %s AND status = %s "
        "ORDER BY signed_at DESC, id DESC LIMIT 1", [patient.pk, ScreeningStatus.SIGNED.value]))
    if not found:
        return None
    found[0].has_clearance = bool(found[0].has_clearance)  # SQLite answers 0 or 1
    return found[0]


def safety_profile(*, patient: Patient, on: date,
                   consents_in_force: set[str] | None = None) -> SafetyProfile:
    """From the latest signed screening, its clearances and acknowledgements, and consents.
    `consents_in_force`: the kinds of the patient's consents in force, when the caller has
    just read them (the chart lists them too)."""
    screening = latest_signed_screening(patient)
    kinds_in_force = consents_in_force if consents_in_force is not None else \
        Consent.objects.kinds_in_force(patient.pk)
    reasons: list[str] = []
    if ConsentKind.TREATMENT not in kinds_in_force:
        reasons.append("No signed treatment consent is in force.")
    ea_consent = ConsentKind.ELECTROACUPUNCTURE in kinds_in_force
    if screening is None:
        reasons.append("No signed screening: complete and sign the intake first.")
        ea_reasons = ["Needling is not allowed."] + (
            [] if ea_consent else ["No signed electroacupuncture consent is in force."])
        return SafetyProfile(None, None, False, False, False, False,
                             tuple(sorted(PROHIBITED_POINTS)), (), PNEUMOTHORAX_POINTS, (), (),
                             tuple(reasons), tuple(ea_reasons))
    decision = screening.decision or {}
    outcome = Outcome[screening.outcome]
    cleared = outcome >= Outcome.URGENT and screening.has_clearance
    open_referral = outcome >= Outcome.URGENT and not cleared
    if open_referral:
        reasons.append(f"{outcome.label} is open: needs medical assessment before any needling.")
    findings = tuple(decision.get("findings", []))
    for f in findings:
        blocks = {"BLOCK_NEEDLING", "DEFER_REFER"} & set(f["actions"])
        # A clearance lifts the block of the referral it answers, not of other findings.
        if blocks and not (cleared and f["rule"] in REFERRAL_RULES):
            reasons.append(f"{f['rule']} {f['title']}: {f['note']}")
    ea_reasons = [f"{f['rule']} {f['title']}: {f['note']}" for f in findings
                  if "BLOCK_EA" in f["actions"]]
    if not ea_consent:
        ea_reasons.append("No signed electroacupuncture consent is in force.")
    if reasons:
        ea_reasons.insert(0, "Needling is not allowed.")
    blocked_regions = tuple(decision.get("blocked_regions", []))
    blocked = set(decision.get("blocked_points", []))
    if any(f["rule"] == "CI-PREGNANCY" for f in findings):
        blocked |= set(PREGNANCY_POINTS)  # the catalogue's pregnancy-caution points
    blocked |= {p.code for p in points.in_regions(set(blocked_regions))}
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
    )
