"""Superbill and claim lines, built from signed sessions and the payer rules.

One date of service is one visit: its sessions' needle sets give one set of codes (one
initial code), and the payer rules are decided as of that date, from what the record
held then (coverage-billing.md §1-§3; docs/billing.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import groupby

from django.db.models import Prefetch

from acuback.accounts.models import Credential, CredentialKind, Practitioner, Supervision
from acuback.clinical import coverage, cpt, diagnoses
from acuback.clinical import credentials as credential_rules
from acuback.treatment.models import Insertion, NeedleSet, Session, SessionStatus

from .models import CoveragePlan, FeeSchedule, PayerKind, SubscriberRelationship
from .selectors import medicare_decision, medicare_record


@dataclass
class Line:
    session: Session  # the date's first session
    code: str
    units: int
    modifiers: tuple[str, ...]
    fee: Decimal | None
    route: coverage.BillingRoute | None = None  # Medicare: who renders and bills
    held: bool = False  # not to be sent: data the claim needs is missing
    # The patient pays it, not the payer: not a Medicare benefit (GY), or the patient
    # chose ABN option 2 (do not bill Medicare).
    patient_liable: bool = False
    reasons: tuple[str, ...] = ()

    @property
    def day(self) -> date:
        return self.session.session_date

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
    code_set: str = diagnoses.CODE_SET

    @property
    def total(self) -> Decimal:
        return sum((line.charge or Decimal(0)) for line in self.lines)


def furnisher_on(practitioner: Practitioner, location, on: date) -> coverage.Furnisher:
    """The practitioner as the record stood on `on` (credentials prefetched)."""
    creds = list(practitioner.credentials.all())
    degrees = tuple(coverage.Degree(c.degree_level, c.degree_field, c.accreditor)
                    for c in creds if c.kind == CredentialKind.DEGREE and c.status == "active"
                    and (c.issued_on is None or c.issued_on <= on))
    # The licence on that date, not whether the practitioner works here today: a
    # practitioner who left since keeps the visits they gave.
    licensed = credential_rules.clearance_to_needle(
        practitioner.credential_facts(), location.jurisdiction, on).cleared
    return coverage.Furnisher(practitioner.display_name, practitioner.profession,
                              practitioner.npi, licensed, degrees)


def route_on(practitioner: Practitioner, location, on: date) -> coverage.BillingRoute:
    """§1.3 on the date: the practitioner, and who supervised them that day."""
    supervisor = next((s.supervisor for s in practitioner.supervisions.all() if s.covers(on)),
                      None)
    return coverage.medicare_route(
        furnisher_on(practitioner, location, on),
        furnisher_on(supervisor, location, on) if supervisor is not None else None)


def _sessions(patient, start: date, end: date) -> list[Session]:
    return list(
        Session.objects.filter(patient=patient, status=SessionStatus.SIGNED,
                               session_date__range=(start, end))
        .select_related("practitioner__supervisor", "location", "episode")
        .prefetch_related(
            Prefetch("practitioner__supervisions", queryset=(
                Supervision.objects.select_related("supervisor").prefetch_related(
                    Prefetch("supervisor__credentials",
                             queryset=Credential.objects.order_by("pk"))))),
            Prefetch("practitioner__credentials", queryset=Credential.objects.order_by("pk")))
        .order_by("session_date", "signed_at", "pk"))


def _needle_sets(sessions: list[Session]) -> dict[int, list[cpt.NeedleSet]]:
    """Each session's needle sets with the needles its sites put in them (two queries)."""
    ids = [s.pk for s in sessions]
    sets: dict[int, list[dict]] = {pk: [] for pk in ids}
    for row in NeedleSet.objects.filter(session_id__in=ids).values(
            "session_id", "order", "face_to_face_minutes", "electrical"):
        sets[row["session_id"]].append(row)
    sites: dict[int, list[dict]] = {pk: [] for pk in ids}
    for row in Insertion.objects.filter(session_id__in=ids).values(
            "session_id", "needle_set", "needles", "stimulation"):
        sites[row["session_id"]].append(row)
    return {pk: cpt.sets_from_record(sets[pk], sites[pk]) for pk in ids}


def _plan_on(plans: list[CoveragePlan], on: date) -> CoveragePlan | None:
    """The primary plan in force on `on` (plans ordered by priority)."""
    return next((p for p in plans if p.effective_from <= on
                 and (p.effective_to is None or p.effective_to >= on)), None)


def build(*, patient, start: date, end: date) -> Superbill:
    sessions = _sessions(patient, start, end)
    fees = {f.code: f.amount for f in FeeSchedule.objects.filter(clinic=patient.clinic)}
    plans = list(CoveragePlan.objects.filter(patient=patient).select_related("payer")
                 .order_by("priority", "pk"))
    plan = _plan_on(plans, end) or next(
        (p for s in reversed(sessions) if (p := _plan_on(plans, s.session_date))), None)
    codes = list(dict.fromkeys(diagnoses.normalise(c) for s in sessions
                               for c in s.episode.diagnosis_codes))
    bill = Superbill(patient, sessions, plan, codes)
    for code in codes:
        problem = diagnoses.check(code)
        if problem:
            bill.problems.append(problem)
    if not codes and sessions:
        bill.problems.append("No ICD-10-CM diagnosis code on the episode: add one before billing.")
    needle_sets = _needle_sets(sessions)
    record = None
    for day, group in groupby(sessions, key=lambda s: s.session_date):
        day_sessions = list(group)
        first = day_sessions[0]
        day_plan = _plan_on(plans, day)
        min_minutes = day_plan.payer.min_minutes_per_unit if day_plan else \
            cpt.DEFAULT_MIN_MINUTES
        # One date of service, one set of codes: every set of the day's sessions in order.
        day_codes = cpt.codes([s for session in day_sessions for s in needle_sets[session.pk]],
                              min_minutes=min_minutes)
        modifiers: tuple[str, ...] = ()
        route = None
        setup_held = False
        reasons: tuple[str, ...] = ()
        if day_plan is not None and day_plan.payer.kind == PayerKind.MEDICARE:
            record = record or medicare_record(patient)
            routes = [route_on(p, s.location, day) for s, p in
                      {s.practitioner_id: (s, s.practitioner) for s in day_sessions}.values()]
            route = routes[0]
            decision = medicare_decision(record=record, plan=day_plan, episode=first.episode,
                                         on=day, routes=routes)
            modifiers = decision.modifiers
            reasons = (*decision.reasons, *decision.held,
                       *(r for x in routes if x.held for r in x.reasons))
            setup_held = bool(decision.held)
            if day in record.abn_no_bill_days:
                reasons = (*reasons, "The patient chose ABN option 2: do not bill Medicare "
                           "for this visit.")
            for problem in {r for r in routes if not r.eligible or r.held}:
                bill.problems.append(f"{day:%Y-%m-%d}: {'; '.join(problem.reasons)}.")
        elif day_plan is not None and day_plan.payer.kind == PayerKind.COMMERCIAL:
            modifiers = ()
        for code, units in sorted(day_codes.items()):
            no_bill = (record is not None and day_plan is not None
                       and day_plan.payer.kind == PayerKind.MEDICARE
                       and day in record.abn_no_bill_days)
            bill.lines.append(Line(first, code, units, modifiers, fees.get(code), route,
                                   held=bool(route and route.held) or no_bill
                                   or setup_held,
                                   reasons=reasons,
                                   patient_liable=no_bill or "GY" in modifiers))
            if code not in fees:
                bill.problems.append(f"No fee for {code} in the clinic's fee schedule.")
    bill.problems = list(dict.fromkeys(bill.problems))
    return bill


# CMS-1500 boxes filled by the export (docs/billing.md lists the ones left empty).
CLAIM_FIELDS = ("box_1a_insured_id", "box_2_patient_name", "box_3_birth_date", "box_3_sex",
                "box_4_insured_name", "box_6_relationship", "box_11_group_number",
                "box_11a_insured_birth_date", "box_21_diagnoses", "box_24a_date_of_service", "box_24d_procedure",
                "box_24d_modifiers", "box_24e_diagnosis_pointer", "box_24f_charges",
                "box_24g_units", "box_24j_rendering_npi", "box_33_billing_provider",
                "box_33a_billing_npi", "supervising_npi", "payer", "status", "reason")


def claim_rows(bill: Superbill) -> list[dict]:
    patient = bill.patient
    letters = "ABCDEFGHIJKL"
    dx = ";".join(f"{letters[i]}:{c}" for i, c in enumerate(bill.diagnosis_codes[:12]))
    insured = _insured(bill.plan, patient)
    rows = []
    for line in bill.lines:
        practitioner = line.session.practitioner
        if line.route is not None:  # Medicare: the route decided on the date (incident-to)
            rendering_npi, billing_npi = line.route.rendering_npi, line.route.billing_npi
            supervising_npi, billing_name = line.route.supervising_npi, line.route.billing_name
        else:
            rendering_npi = billing_npi = practitioner.npi
            supervising_npi, billing_name = "", practitioner.display_name
        status = "held" if line.held else ("not covered" if "GY" in line.modifiers
                                            or "GZ" in line.modifiers else "ready")
        rows.append({
            "box_1a_insured_id": bill.plan.member_id if bill.plan else "",
            "box_2_patient_name": f"{patient.family_name}, {patient.given_name}",
            "box_3_birth_date": patient.date_of_birth.isoformat(),
            "box_3_sex": {"female": "F", "male": "M"}.get(patient.sex_at_birth, ""),
            **insured,
            "box_21_diagnoses": dx,
            "box_24a_date_of_service": line.day.isoformat(),
            "box_24d_procedure": line.code,
            "box_24d_modifiers": " ".join(line.modifiers),
            "box_24e_diagnosis_pointer": "A" if bill.diagnosis_codes else "",
            "box_24f_charges": str(line.charge) if line.charge is not None else "",
            "box_24g_units": line.units,
            "box_24j_rendering_npi": rendering_npi,
            "box_33_billing_provider": f"{patient.clinic.name} ({billing_name})",
            "box_33a_billing_npi": billing_npi,
            "supervising_npi": supervising_npi,
            "payer": str(bill.plan.payer) if bill.plan else "self-pay",
            "status": status,
            "reason": "; ".join(line.reasons),
        })
    return rows


def _insured(plan: CoveragePlan | None, patient) -> dict:
    """CMS-1500 boxes 4, 6, 11 and 11a: the subscriber (the patient, or the person whose
    insurance covers them), the relationship, the group number."""
    if plan is None:
        return dict.fromkeys(("box_4_insured_name", "box_6_relationship",
                              "box_11_group_number", "box_11a_insured_birth_date"), "")
    self_insured = plan.subscriber_relationship == SubscriberRelationship.SELF
    born = patient.date_of_birth if self_insured else plan.subscriber_date_of_birth
    return {
        "box_4_insured_name": f"{patient.family_name}, {patient.given_name}" if self_insured
        else f"{plan.subscriber_family_name}, {plan.subscriber_given_name}",
        "box_6_relationship": {SubscriberRelationship.SELF.value: "self",
                               SubscriberRelationship.SPOUSE.value: "spouse",
                               SubscriberRelationship.CHILD.value: "child"}.get(
            str(plan.subscriber_relationship), "other"),
        "box_11_group_number": plan.group_number,
        "box_11a_insured_birth_date": born.isoformat() if born else "",
    }
