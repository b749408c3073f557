"""Electronic claims (issue #29 §2): a claim per patient and date of service, built from
the record by the same rules as the superbill; ready when nothing it needs is missing
(each missing item named in words); sent in a batch as an 837P that pyx12 has passed;
paid, partly paid or denied by an 835; corrected by a new claim that replaces it
(frequency 7). Every change is audited and kept as a claim event. docs/billing.md.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from acuback.accounts.models import Clinic, User
from acuback.audit.services import audit_record
from acuback.clinical import diagnoses
from acuback.treatment.models import Session, SessionStatus

from . import superbill, x12
from .models import (
    Claim,
    ClaimAdjustment,
    ClaimBatch,
    ClaimEvent,
    ClaimLine,
    ClaimPayment,
    ClaimSetup,
    ClaimStatus,
    CoveragePlan,
    PayerKind,
    Remittance,
    SubscriberRelationship,
)

SENT = (ClaimStatus.SUBMITTED, ClaimStatus.PAID, ClaimStatus.PARTLY_PAID, ClaimStatus.DENIED)
OPEN = (ClaimStatus.DRAFT, ClaimStatus.READY)
# 835 CLP02 "denied" (005010X221A1 claim status codes).
CLP_DENIED = "4"
_STATE = re.compile(r"[A-Za-z]{2}")
_ZIP = re.compile(r"\d{5}(-?\d{4})?")


def setup_for(clinic: Clinic) -> ClaimSetup:
    return ClaimSetup.objects.filter(clinic=clinic).first() or ClaimSetup(clinic=clinic)


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _event(claim: Claim, status: str, request: HttpRequest, note: str = "") -> None:
    previous = claim.status
    claim.status = status
    Claim.objects.filter(pk=claim.pk).update(status=status, missing=claim.missing)
    ClaimEvent.objects.create(claim=claim, status=status, note=note[:300], at=timezone.now(),
                              by=_user(request))
    audit_record(request=request, action="billing.claim_status", patient=claim.patient,
                 detail={"claim": claim.number, "from": previous, "to": status,
                         "note": note[:300]})


# -- what a claim needs -----------------------------------------------------------------


def setup_missing(setup: ClaimSetup) -> list[str]:
    """The clinic's sender details an 837P needs, each named."""
    missing = []
    if not re.fullmatch(r"\d{9}", setup.tax_id or ""):
        missing.append("the billing provider's tax ID (EIN) in the claim set-up")
    if not (setup.address_line1 and setup.city and _STATE.fullmatch(setup.state or "")
            and re.fullmatch(r"\d{5}-?\d{4}", setup.postal_code or "")):
        missing.append("the billing provider's address with a ZIP+4 in the claim set-up")
    if not setup.submitter_id:
        missing.append("the clinic's submitter ID in the claim set-up")
    if not (setup.receiver_id and setup.receiver_name):
        missing.append("the clearing house's name and ID in the claim set-up")
    return missing


def claim_missing(claim: Claim, lines: list[ClaimLine], held: list[str],
                  no_fee: list[str] | None = None) -> list[str]:
    """Everything the claim still needs, in words (empty: ready to send)."""
    plan, patient, payer = claim.plan, claim.patient, claim.plan.payer
    missing = [*setup_missing(setup_for(claim.clinic))]
    if not payer.electronic_payer_id:
        missing.append(f"the electronic payer ID of {payer.name}")
    if not plan.member_id:
        missing.append("the member ID on the patient's insurance")
    if plan.subscriber_relationship != SubscriberRelationship.SELF and not (
            plan.subscriber_given_name and plan.subscriber_family_name
            and plan.subscriber_date_of_birth):
        missing.append("the subscriber's name and date of birth on the patient's insurance")
    if not (patient.address_line1 and patient.city and _STATE.fullmatch(patient.region or "")
            and _ZIP.fullmatch(patient.postal_code or "")):
        missing.append("the patient's address (street, city, two-letter state and ZIP)")
    if not claim.diagnosis_codes:
        missing.append("a diagnosis code (ICD-10-CM) on the episode")
    missing += [f"a valid diagnosis: {problem}" for code in claim.diagnosis_codes
                if (problem := diagnoses.check(code))]
    if not claim.billing_npi:
        missing.append("the billing practitioner's NPI")
    if not claim.rendering_npi:
        missing.append("the rendering practitioner's NPI")
    if not lines:
        missing.append("a billable service (no signed session with a code on this date)")
    missing += [f"a fee for {code} in the clinic's fee schedule" for code in no_fee or []]
    missing += held
    return list(dict.fromkeys(missing))


# -- building claims from the record ----------------------------------------------------


def _from_record(claim: Claim) -> tuple[list[ClaimLine], list[str], list[str]]:
    """The date's lines and who renders and bills, from the superbill's rules; the
    reasons a line is held; the codes without a fee (their lines charge 0 until then)."""
    bill = superbill.build(patient=claim.patient, start=claim.date_of_service,
                           end=claim.date_of_service)
    claim.diagnosis_codes = bill.diagnosis_codes[:12]
    pointers = ":".join(str(n) for n in range(1, min(4, len(claim.diagnosis_codes)) + 1))
    lines: list[ClaimLine] = []
    held: list[str] = []
    no_fee = [line.code for line in bill.lines if line.charge is None]
    first = bill.lines[0] if bill.lines else None
    if first is not None:
        practitioner = first.session.practitioner
        if first.route is not None:  # Medicare: the route on the date (incident-to)
            route = first.route
            claim.rendering_npi, claim.billing_npi = route.rendering_npi, route.billing_npi
            claim.supervising_npi = route.supervising_npi
            claim.billing_name = route.billing_name
            claim.rendering_name = route.billing_name if route.incident_to \
                else practitioner.display_name
            claim.supervising_name = route.billing_name if route.supervising_npi else ""
        else:
            claim.rendering_npi = claim.billing_npi = practitioner.npi or ""
            claim.rendering_name = claim.billing_name = practitioner.display_name
    for line in bill.lines:
        if line.held:
            held += list(line.reasons) or [f"{line.code} is held"]
        lines.append(ClaimLine(code=line.code, modifiers=" ".join(line.modifiers),
                               units=line.units, charge=line.charge or Decimal(0),
                               pointers=pointers or "1"))
    claim.total_charge = sum((line.charge for line in lines), Decimal(0))
    return lines, held, no_fee


def _fill(claim: Claim, request: HttpRequest, note: str) -> Claim:
    lines, held, no_fee = _from_record(claim)
    claim.missing = claim_missing(claim, lines, held, no_fee)
    claim.save()
    ClaimLine.objects.filter(claim=claim).delete()  # a draft's lines only (row guard)
    for line in lines:
        line.claim = claim
    ClaimLine.objects.bulk_create(lines)
    _event(claim, ClaimStatus.DRAFT if claim.missing else ClaimStatus.READY, request,
           note or ("; ".join(claim.missing) if claim.missing else "all required data present"))
    return claim


def claims_prepare(*, clinic: Clinic, start: date, end: date, request: HttpRequest) -> list[Claim]:
    """A claim for each date of service in the period billed to a payer (not self-pay)
    that has no claim yet; drafts and ready claims already there are rebuilt."""
    days = (Session.objects.filter(patient__clinic=clinic, status=SessionStatus.SIGNED,
                                   session_date__range=(start, end))
            .values_list("patient_id", "session_date").distinct()
            .order_by("patient_id", "session_date"))
    made = []
    for patient_id, day in days:
        plan = CoveragePlan.objects.primary_in_force(patient_id, day)
        if plan is None or plan.payer.kind == PayerKind.SELF_PAY:
            continue
        with transaction.atomic():
            existing = (Claim.objects.select_for_update()
                        .filter(patient_id=patient_id, date_of_service=day)
                        .exclude(status=ClaimStatus.REPLACED).first())
            if existing is not None and existing.status not in OPEN:
                continue  # sent: only a correction changes it
            claim = existing or Claim(clinic=clinic, patient_id=patient_id,
                                      date_of_service=day, created_at=timezone.now())
            claim.plan = plan
            made.append(_fill(claim, request, ""))
    return made


def claim_rebuild(*, claim: Claim, request: HttpRequest) -> Claim:
    """Build a draft or ready claim again from the record (after the missing data was
    added). A sent claim never changes."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update(of=("self",)).select_related(
            "plan__payer").get(pk=claim.pk)
        if claim.status not in OPEN:
            raise ValidationError({"claim": f"{claim.number} was sent: it never changes. "
                                   "Correct it with a replacement claim."})
        claim.plan = CoveragePlan.objects.primary_in_force(claim.patient_id,
                                                           claim.date_of_service) or claim.plan
        return _fill(claim, request, "")


def claim_correct(*, claim: Claim, request: HttpRequest) -> Claim:
    """A corrected claim: a new claim for the same date built from the record as it is
    now, with frequency 7 and the original's number (the payer's control number when
    the 835 gave one); the original stays as sent, marked replaced."""
    with transaction.atomic():
        original = Claim.objects.select_for_update().get(pk=claim.pk)
        if original.status not in SENT:
            raise ValidationError({"claim": f"{original.number} has not been sent: rebuild "
                                   "it instead of correcting it."})
        replacement = Claim(clinic=original.clinic, patient=original.patient,
                            plan=CoveragePlan.objects.primary_in_force(
                                original.patient_id, original.date_of_service) or original.plan,
                            date_of_service=original.date_of_service, frequency="7",
                            replaces=original, created_at=timezone.now())
        _fill(replacement, request, f"corrects {original.number}")
        _event(original, ClaimStatus.REPLACED, request, f"replaced by {replacement.number}")
    return replacement


# -- the 837P -----------------------------------------------------------------------------


def _person(name: str) -> tuple[str, str]:
    """The practitioner's one recorded display name as the 837P's last and first names
    (the record holds no separate family name): the last word, and the words before it,
    without a title before the name or the credentials after a comma ("Dr James Porter,
    MD" -> PORTER, JAMES)."""
    words = [w for w in re.split(r"\s+", name.split(",")[0].strip()) if w]
    if words and words[0].rstrip(".").lower() in {"dr", "doctor"}:
        words = words[1:]
    return (words[-1], " ".join(words[:-1])) if words else ("", "")


def _claim_out(claim: Claim, setup: ClaimSetup) -> x12.ClaimOut:
    patient, plan = claim.patient, claim.plan
    address = (setup.address_line1, setup.city, setup.state, setup.postal_code)
    rendering: x12.Party | None
    if setup.group_npi:
        billing = x12.Party(claim.clinic.name, person=False, id_qualifier="XX",
                            identifier=setup.group_npi, address=address)
        rendering = x12.Party(*_person(claim.rendering_name), id_qualifier="XX",
                              identifier=claim.rendering_npi)
    else:
        billing = x12.Party(*_person(claim.billing_name), id_qualifier="XX",
                            identifier=claim.billing_npi, address=address)
        rendering = None if claim.rendering_npi == claim.billing_npi else x12.Party(
            *_person(claim.rendering_name), id_qualifier="XX", identifier=claim.rendering_npi)
    supervising = x12.Party(*_person(claim.supervising_name), id_qualifier="XX",
                            identifier=claim.supervising_npi) if claim.supervising_npi else None
    sex = {"female": "F", "male": "M"}.get(patient.sex_at_birth, "U")
    patient_party = x12.Party(
        patient.family_name, patient.given_name, id_qualifier="MI", identifier=plan.member_id,
        address=(patient.address_line1, patient.city, patient.region, patient.postal_code),
        birth_date=patient.date_of_birth, sex=sex)
    if plan.subscriber_relationship == SubscriberRelationship.SELF:
        subscriber = patient_party
    else:
        subscriber = x12.Party(plan.subscriber_family_name, plan.subscriber_given_name,
                               id_qualifier="MI", identifier=plan.member_id,
                               birth_date=plan.subscriber_date_of_birth, sex="U")
    original = claim.replaces
    return x12.ClaimOut(
        number=claim.number, frequency=claim.frequency,
        original_reference=(original.payer_control_number or original.number)
        if original else "",
        billing=billing, billing_tax_id=setup.tax_id, subscriber=subscriber,
        relationship=plan.subscriber_relationship, patient=patient_party,
        payer=x12.Party(plan.payer.name, person=False, id_qualifier="PI",
                        identifier=plan.payer.electronic_payer_id),
        payer_sequence={1: "P", 2: "S", 3: "T"}.get(plan.priority, "P"),
        filing_indicator=x12.FILING_INDICATOR.get(plan.payer.kind, "CI"),
        group_number=plan.group_number, diagnoses=tuple(claim.diagnosis_codes),
        rendering=rendering, supervising=supervising,
        lines=tuple(x12.ServiceLine(line.code, tuple(line.modifiers.split()), line.charge,
                                    line.units, claim.date_of_service,
                                    tuple(int(p) for p in line.pointers.split(":")))
                    for line in claim.lines.all()))


def batch_submit(*, clinic: Clinic, claim_ids: list[int], request: HttpRequest) -> ClaimBatch:
    """Send ready claims as one 837P. The file is written, then validated by pyx12; a
    file with any finding is refused with the findings in words and nothing changes."""
    if not claim_ids:
        raise ValidationError({"claims": "Choose at least one ready claim to send."})
    with transaction.atomic():
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()  # one batch at a time
        # Only the claims are locked: PostgreSQL locks no row of a nullable outer join.
        claims = list(Claim.objects.select_for_update(of=("self",))
                      .filter(clinic=clinic, pk__in=claim_ids)
                      .select_related("patient", "plan__payer", "replaces", "clinic")
                      .prefetch_related("lines").order_by("pk"))
        if len(claims) != len(set(claim_ids)):
            raise ValidationError({"claims": "A chosen claim is not one of the clinic's."})
        not_ready = [c.number for c in claims if c.status != ClaimStatus.READY]
        if not_ready:
            raise ValidationError({"claims": f"Only ready claims are sent; not ready: "
                                   f"{', '.join(not_ready)}."})
        setup = setup_for(clinic)
        for claim in claims:  # the set-up and the payer may have changed since
            gaps = claim_missing(claim, list(claim.lines.all()), [])
            if gaps:
                raise ValidationError({"claims": f"{claim.number} needs {'; '.join(gaps)}."})
        number = (ClaimBatch.objects.filter(clinic=clinic)
                  .aggregate(n=Max("control_number"))["n"] or 0) + 1
        now = timezone.now()
        envelope = x12.Envelope(
            sender_id=setup.submitter_id, receiver_id=setup.receiver_id,
            submitter=x12.Party(clinic.name, person=False, id_qualifier="46",
                                identifier=setup.submitter_id),
            contact_name=clinic.name, contact_phone=setup.contact_phone or clinic.phone
            or "0000000000",
            receiver=x12.Party(setup.receiver_name, person=False, id_qualifier="46",
                               identifier=setup.receiver_id),
            control_number=number, created=now, usage="P" if setup.production else "T")
        document = x12.claim_file(envelope, [_claim_out(c, setup) for c in claims])
        findings = x12.problems(document)
        if findings:
            raise ValidationError({"claims": ["The 837P file did not pass the X12 "
                                              "validator; nothing was sent:", *findings[:10]]})
        batch = ClaimBatch.objects.create(clinic=clinic, created_at=now, control_number=number,
                                          created_by=_user(request), x12=document)
        Claim.objects.filter(pk__in=[c.pk for c in claims]).update(batch=batch)
        for claim in claims:
            _event(claim, ClaimStatus.SUBMITTED, request, f"sent in batch {number}")
        audit_record(request=request, action="billing.batch_submit", clinic=clinic,
                     detail={"batch": number, "claims": [c.number for c in claims]})
    return batch


# -- the 835 ------------------------------------------------------------------------------


def status_after(paid: Decimal, status_code: str, lines: list[tuple[str, Decimal, Decimal]]
                 ) -> str:
    """Project rule (docs/billing.md): denied when the payer says so (CLP02 4) or pays
    nothing; partly paid when some service line was paid nothing; paid otherwise."""
    if status_code == CLP_DENIED or paid <= 0:
        return ClaimStatus.DENIED
    if any(line_paid <= 0 for _, _, line_paid in lines):
        return ClaimStatus.PARTLY_PAID
    return ClaimStatus.PAID


def remittance_import(*, clinic: Clinic, content: str, request: HttpRequest) -> Remittance:
    """Post an 835: each claim payment (CLP) to the claim whose number we sent (CLM01),
    with its adjustments (CAS group and CARC); what matches no claim of the clinic is
    kept, unmatched, for a person. The same payment (payer and trace number) is never
    posted twice."""
    content = content.lstrip("\ufeff")
    findings = x12.problems(content)
    if not findings and not re.search(r"(^|~)\s*ST\*835\*", content):
        findings = ["This is an X12 file, but not an 835 remittance."]
    if findings:
        raise ValidationError({"file": ["The file is not a valid 835:", *findings[:10]]})
    paid = x12.read_remittance(content)
    if not paid.trace_number:
        raise ValidationError({"file": "The 835 has no trace number (TRN02)."})
    try:
        with transaction.atomic():
            remittance = Remittance.objects.create(
                clinic=clinic, trace_number=paid.trace_number[:50],
                payer_identifier=paid.payer_id[:10], payer_name=paid.payer_name[:60],
                total_paid=paid.total_paid, paid_on=paid.paid_on,
                sha256=hashlib.sha256(content.encode()).hexdigest(), x12=content,
                imported_at=timezone.now(), imported_by=_user(request))
            for item in paid.claims:
                _post(remittance, item, clinic, request)
            audit_record(request=request, action="billing.remittance_import", clinic=clinic,
                         detail={"trace": remittance.trace_number,
                                 "claims": len(paid.claims), "paid": str(paid.total_paid)})
    except IntegrityError:
        earlier = Remittance.objects.filter(clinic=clinic, trace_number=paid.trace_number[:50],
                                            payer_identifier=paid.payer_id[:10]).first()
        when = f" on {earlier.imported_at:%Y-%m-%d}" if earlier else ""
        raise ValidationError({"file": f"This payment (trace number {paid.trace_number}) was "
                               f"already imported{when}: nothing was posted again."}) from None
    return remittance


def _post(remittance: Remittance, item: x12.ClaimPaid, clinic: Clinic,
          request: HttpRequest) -> None:
    claim = (Claim.objects.select_for_update(of=("self",)).select_related("patient")
             .filter(clinic=clinic, pk=_claim_pk(item.number)).first())
    reason = ""
    if claim is None:
        reason = "No claim of the clinic has this number."
    elif claim.status not in SENT:
        reason = f"{claim.number} is {claim.get_status_display().lower()}, not sent."
    payment = ClaimPayment.objects.create(
        remittance=remittance, claim=None if reason else claim, claim_number=item.number[:38],
        status_code=item.status[:2], charge=item.charge, paid=item.paid,
        patient_share=item.patient_share, payer_control_number=item.payer_control_number[:50],
        unmatched_reason=reason)
    ClaimAdjustment.objects.bulk_create(
        ClaimAdjustment(payment=payment, group=a.group[:2], reason=a.reason[:5],
                        amount=a.amount, code=a.code[:10]) for a in item.adjustments)
    if reason or claim is None:
        return
    if item.payer_control_number:
        Claim.objects.filter(pk=claim.pk).update(
            payer_control_number=item.payer_control_number[:50])
    adjustments = ", ".join(f"{a.group}-{a.reason} {a.amount}" for a in item.adjustments)
    _event(claim, status_after(item.paid, item.status, item.lines), request,
           f"835 {remittance.trace_number}: paid {item.paid}"
           + (f"; adjustments {adjustments}" if adjustments else ""))


def _claim_pk(number: str) -> int:
    found = re.fullmatch(r"ACU-(\d{1,12})", number.strip())
    return int(found.group(1)) if found else 0
