"""Superbill and claim lines, built from signed sessions and the payer rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from acuback.clinical import diagnoses
from acuback.treatment.models import Session, SessionStatus

from .models import CoveragePlan, FeeSchedule
from .selectors import coverage_status


@dataclass
class Line:
    session: Session
    code: str
    units: int
    modifiers: tuple[str, ...]
    fee: Decimal | None

    @property
    def charge(self) -> Decimal | None:
        return None if self.fee is None else self.fee * self.units


@dataclass
class Superbill:
    patient: object
    sessions: list[Session]
    plan: CoveragePlan | None
    diagnosis_codes: list[str]
    lines: list[Line] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.charge or Decimal(0)) for line in self.lines)


def build(*, patient, start: date, end: date) -> Superbill:
    sessions = list(Session.objects.filter(patient=patient, status=SessionStatus.SIGNED,
                                           session_date__range=(start, end))
                    .select_related("practitioner__supervisor", "location", "episode")
                    .order_by("session_date"))
    fees = {f.code: f.amount for f in FeeSchedule.objects.filter(clinic=patient.clinic)}
    plan = (CoveragePlan.objects.in_force(end).filter(patient=patient).select_related("payer")
            .order_by("priority").first())
    codes = list(dict.fromkeys(c for s in sessions for c in s.episode.diagnosis_codes))
    bill = Superbill(patient, sessions, plan, codes)
    for code in codes:
        problem = diagnoses.check(code)
        if problem:
            bill.problems.append(problem)
    if not codes and sessions:
        bill.problems.append("No ICD-10-CM diagnosis code on the episode: add one before billing.")
    for session in sessions:
        modifiers = coverage_status(patient=patient, on=session.session_date).modifiers \
            if plan else ()
        for code, units in sorted(session.cpt_codes.items()):
            bill.lines.append(Line(session, code, units, modifiers, fees.get(code)))
            if code not in fees:
                bill.problems.append(f"No fee for {code} in the clinic's fee schedule.")
    bill.problems = list(dict.fromkeys(bill.problems))
    return bill


# CMS-1500 boxes filled by the export (docs/billing.md lists the ones left empty).
CLAIM_FIELDS = ("box_1a_insured_id", "box_2_patient_name", "box_3_birth_date", "box_3_sex",
                "box_21_diagnoses", "box_24a_date_of_service", "box_24d_procedure",
                "box_24d_modifiers", "box_24e_diagnosis_pointer", "box_24f_charges",
                "box_24g_units", "box_24j_rendering_npi", "box_33_billing_provider",
                "payer")


def claim_rows(bill: Superbill) -> list[dict]:
    patient = bill.patient
    letters = "ABCDEFGHIJKL"
    dx = ";".join(f"{letters[i]}:{c}" for i, c in enumerate(bill.diagnosis_codes[:12]))
    rows = []
    for line in bill.lines:
        practitioner = line.session.practitioner
        billing = practitioner.supervisor or practitioner  # incident-to bills under the supervisor
        rows.append({
            "box_1a_insured_id": bill.plan.member_id if bill.plan else "",
            "box_2_patient_name": f"{patient.family_name}, {patient.given_name}",
            "box_3_birth_date": patient.date_of_birth.isoformat(),
            "box_3_sex": {"female": "F", "male": "M"}.get(patient.sex_at_birth, ""),
            "box_21_diagnoses": dx,
            "box_24a_date_of_service": line.session.session_date.isoformat(),
            "box_24d_procedure": line.code,
            "box_24d_modifiers": " ".join(line.modifiers),
            "box_24e_diagnosis_pointer": "A" if bill.diagnosis_codes else "",
            "box_24f_charges": str(line.charge) if line.charge is not None else "",
            "box_24g_units": line.units,
            "box_24j_rendering_npi": practitioner.npi,
            "box_33_billing_provider": f"{patient.clinic.name} ({billing.display_name})",
            "payer": str(bill.plan.payer) if bill.plan else "self-pay",
        })
    return rows
