"""The Advance Beneficiary Notice of Noncoverage (form CMS-R-131), filled from the record
when the next visit is expected to be denied (coverage-billing.md §3; docs/billing.md).

The engine decides (selectors.medicare_decision, the same decision the claim lines use):
a visit in the GA/GZ branch needs the notice; a GY visit (not a Medicare benefit) does
not. The fields follow the form's blanks: (A) notifier, (B) patient name, (C) an
identification number (the clinic's MRN: the form's instructions keep Medicare numbers
off the notice), (D) the service, (E) the reason Medicare may not pay, (F) the estimated
cost from the fee schedule, (G) the three options.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from acuback.patients.models import EpisodeStatus

from . import superbill
from .models import AbnOption, CoveragePlan, FeeSchedule, PayerKind
from .selectors import medicare_decision, medicare_record, visit_dates

EXPECTED_DENIAL = frozenset({"GA", "GZ"})


@dataclass(frozen=True)
class Notice:
    on: date
    services: str
    reasons: tuple[str, ...]
    estimated_cost: Decimal | None
    codes: tuple[tuple[str, int, Decimal | None], ...]  # code, units, fee
    options: tuple[tuple[int, str], ...] = tuple(AbnOption.choices)


def notice_for(patient, on: date) -> Notice | None:
    """The notice for a visit on `on`, or None when Medicare is not expected to deny it
    (or the patient's primary plan that day is not Medicare)."""
    plan = CoveragePlan.objects.primary_in_force(patient.pk, on)
    if plan is None or plan.payer.kind != PayerKind.MEDICARE:
        return None
    episode = patient.episodes.exclude(status=EpisodeStatus.DISCHARGED).first()
    if episode is None:
        return None
    decision = medicare_decision(record=medicare_record(patient), plan=plan, episode=episode,
                                 on=on)
    if not EXPECTED_DENIAL & set(decision.modifiers):
        return None
    # The service as last given (the same needling expected), else the initial code.
    last = visit_dates(patient, before=on)[-1:]
    lines = superbill.build(patient=patient, start=last[0], end=last[0]).lines if last else []
    if lines:
        codes = tuple((line.code, line.units, line.fee) for line in lines)
    else:
        fee = FeeSchedule.objects.filter(clinic=patient.clinic, code="97810").first()
        codes = (("97810", 1, fee.amount if fee else None),)
    known = [fee * units for _, units, fee in codes if fee is not None]
    cost = sum(known, Decimal(0)) if len(known) == len(codes) else None
    services = "Acupuncture for chronic low back pain (" + ", ".join(
        f"CPT {code}" + (f" × {units}" if units > 1 else "") for code, units, _ in codes) + ")"
    return Notice(on, services, decision.reasons, cost,
                  tuple((c, u, f) for c, u, f in codes))


def declined_but_treated(abn) -> str:
    """What to tell the desk when a notice says option 3 (no service) for a date with a
    signed session: the record contradicts the option; the visit stays GZ."""
    if abn.option != AbnOption.DECLINE or abn.visit_date not in visit_dates(abn.patient):
        return ""
    return (f"This ABN records option 3 (no service), but a session is signed on "
            f"{abn.visit_date:%Y-%m-%d}: that visit stays GZ. Check the option the patient "
            "chose.")
