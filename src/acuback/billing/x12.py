"""X12 files: the 837P claim file written for a batch (005010X222A1) and the 835
remittance read back (005010X221A1), each checked by pyx12 against the implementation
guide's map (pyx12 ships its maps: no network). docs/billing.md names the segments.

This module knows X12, not Django: it writes from plain values and reads into plain
values; `claims.py` maps the records onto them.
"""

from __future__ import annotations

import io
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

import pyx12.error_handler
import pyx12.params
import pyx12.x12context
import pyx12.x12n_document

ELEMENT, COMPONENT, REPETITION, SEGMENT = "*", ":", "^", "~"
CLAIM_GUIDE = "005010X222A1"  # ASC X12N 837 Health Care Claim: Professional
REMITTANCE_GUIDE = "005010X221A1"  # ASC X12N 835 Health Care Claim Payment/Advice

# SBR02 / PAT01: the patient's relationship to the subscriber (005010X222A1 code list).
RELATIONSHIP_SELF = "18"
# SBR09 claim filing indicator, by the payer's kind.
FILING_INDICATOR = {"medicare": "MB", "commercial": "CI"}
# CLM05-3 claim frequency type: 1 an original claim, 7 the replacement of a prior claim.
FREQUENCY_ORIGINAL, FREQUENCY_REPLACEMENT = "1", "7"
PLACE_OF_SERVICE_OFFICE = "11"


# Letters NFKD does not take apart, spelled in the basic character set.
_SPELLED = str.maketrans({"Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "ß": "SS", "Ł": "L",
                          "ł": "l", "Đ": "D", "đ": "d", "Œ": "OE", "œ": "oe", "Þ": "TH",
                          "þ": "th"})
# What an AN element may hold once upper-cased: X12's basic character set (letters,
# digits, space and its punctuation) and the extended set's # $ % @, never a delimiter.
_NOT_CARRIED = re.compile(r"[^A-Z0-9 !\"&'()+,\-./;?=#$%@]")


def text(value: str, limit: int) -> str:
    """A value X12 can carry: upper case, accents taken off (Zoë -> ZOE: pyx12 refuses
    a character outside the character set), no delimiter, within the element's length."""
    plain = unicodedata.normalize("NFKD", (value or "").translate(_SPELLED))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).upper()
    cleaned = _NOT_CARRIED.sub(" ", plain)
    return re.sub(r"\s+", " ", cleaned).strip()[:limit]


def digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def amount(value: Decimal) -> str:
    """An X12 decimal (R): no trailing zeros, no needless point (85.00 -> 85)."""
    quantised = Decimal(value).quantize(Decimal("0.01"))
    shown = format(quantised, "f").rstrip("0").rstrip(".")
    return shown or "0"


@dataclass(frozen=True)
class Party:
    """A person or organisation as X12 names it (NM1), with an address when it has one."""

    last_or_org: str
    first: str = ""
    person: bool = True
    id_qualifier: str = ""
    identifier: str = ""
    address: tuple[str, str, str, str] | None = None  # street, city, state, ZIP
    birth_date: date | None = None
    sex: str = ""  # F, M or U


@dataclass(frozen=True)
class ServiceLine:
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: int
    day: date
    pointers: tuple[int, ...]


@dataclass(frozen=True)
class ClaimOut:
    number: str  # CLM01: the patient control number, echoed in the 835's CLP01
    frequency: str
    original_reference: str  # REF*F8 on a replacement (frequency 7)
    billing: Party
    billing_tax_id: str
    subscriber: Party
    relationship: str  # 18 self, else the PAT01 code
    patient: Party
    payer: Party
    payer_sequence: str  # P, S or T
    filing_indicator: str
    group_number: str
    diagnoses: tuple[str, ...]
    rendering: Party | None
    supervising: Party | None
    lines: tuple[ServiceLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class Envelope:
    sender_id: str
    receiver_id: str
    submitter: Party
    contact_name: str
    contact_phone: str
    receiver: Party
    control_number: int
    created: datetime
    usage: str = "T"  # ISA15: T test, P production


def _segment(*elements: str) -> str:
    parts = list(elements)
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return ELEMENT.join(parts) + SEGMENT


def _name(qualifier: str, party: Party) -> str:
    return _segment("NM1", qualifier, "1" if party.person else "2",
                    text(party.last_or_org, 60), text(party.first, 35) if party.person else "",
                    "", "", "", party.id_qualifier if party.identifier else "",
                    text(party.identifier, 80))


def _address(party: Party) -> list[str]:
    if party.address is None:
        return []
    street, city, state, zip_code = party.address
    return [_segment("N3", text(street, 55)),
            _segment("N4", text(city, 30), text(state, 2), digits(zip_code)[:9])]


def _demographics(party: Party) -> list[str]:
    if party.birth_date is None:
        return []
    return [_segment("DMG", "D8", f"{party.birth_date:%Y%m%d}", party.sex or "U")]


def _envelope_head(envelope: Envelope, functional_id: str, guide: str) -> list[str]:
    moment = envelope.created
    control = f"{envelope.control_number:09d}"
    return [
        ELEMENT.join(["ISA", "00", " " * 10, "00", " " * 10, "ZZ",
                      text(envelope.sender_id, 15).ljust(15), "ZZ",
                      text(envelope.receiver_id, 15).ljust(15), f"{moment:%y%m%d}",
                      f"{moment:%H%M}", REPETITION, "00501", control, "0", envelope.usage,
                      COMPONENT]) + SEGMENT,
        _segment("GS", functional_id, text(envelope.sender_id, 15),
                 text(envelope.receiver_id, 15), f"{moment:%Y%m%d}", f"{moment:%H%M}",
                 str(envelope.control_number), "X", guide),
    ]


def _envelope_tail(envelope: Envelope, body: list[str]) -> list[str]:
    return [*body, _segment("SE", str(len(body) + 1), "0001"),
            _segment("GE", "1", str(envelope.control_number)),
            _segment("IEA", "1", f"{envelope.control_number:09d}")]


def claim_file(envelope: Envelope, claims: list[ClaimOut]) -> str:
    """One interchange, one 837P transaction: a billing provider (2000A) per billing NPI,
    a subscriber (2000B) and, when the patient is not the subscriber, a patient (2000C)
    per claim (2300) and its service lines (2400)."""
    body = [
        _segment("ST", "837", "0001", CLAIM_GUIDE),
        _segment("BHT", "0019", "00", f"B{envelope.control_number}",
                 f"{envelope.created:%Y%m%d}", f"{envelope.created:%H%M}", "CH"),
        _name("41", envelope.submitter),
        _segment("PER", "IC", text(envelope.contact_name, 60), "TE",
                 digits(envelope.contact_phone)),
        _name("40", envelope.receiver),
    ]
    hl = 0
    by_billing: dict[tuple, list[ClaimOut]] = {}
    for claim in claims:
        by_billing.setdefault((claim.billing, claim.billing_tax_id), []).append(claim)
    for (billing, tax_id), group in by_billing.items():
        hl += 1
        parent = hl
        body += [_segment("HL", str(parent), "", "20", "1"), _name("85", billing),
                 *_address(billing), _segment("REF", "EI", digits(tax_id))]
        for claim in group:
            hl += 1
            self_insured = claim.relationship == RELATIONSHIP_SELF
            body += [
                _segment("HL", str(hl), str(parent), "22", "0" if self_insured else "1"),
                _segment("SBR", claim.payer_sequence,
                         RELATIONSHIP_SELF if self_insured else "",
                         text(claim.group_number, 50), "", "", "", "", "",
                         claim.filing_indicator),
                _name("IL", claim.subscriber),
                # The subscriber's address and demographics: required when the subscriber
                # is the patient (005010X222A1 2010BA N3/N4/DMG).
                *(_address(claim.subscriber) + _demographics(claim.subscriber)
                  if self_insured else _demographics(claim.subscriber)),
                _name("PR", claim.payer),
            ]
            if not self_insured:
                hl += 1
                body += [_segment("HL", str(hl), str(hl - 1), "23", "0"),
                         _segment("PAT", claim.relationship),
                         # 2010CA names the patient without an identifier (NM108/109
                         # not used): the member ID is the subscriber's.
                         _name("QC", replace(claim.patient, identifier="")),
                         *_address(claim.patient), *_demographics(claim.patient)]
            body += _claim_body(claim)
    return "\n".join(_envelope_head(envelope, "HC", CLAIM_GUIDE)
                     + _envelope_tail(envelope, body)) + "\n"


def _claim_body(claim: ClaimOut) -> list[str]:
    codes = [c.replace(".", "") for c in claim.diagnoses[:12]]
    segments = [
        _segment("CLM", text(claim.number, 38), amount(claim.total), "", "",
                 COMPONENT.join([PLACE_OF_SERVICE_OFFICE, "B", claim.frequency]),
                 "Y", "A", "Y", "Y"),
    ]
    if claim.frequency == FREQUENCY_REPLACEMENT:
        segments.append(_segment("REF", "F8", text(claim.original_reference, 50)))
    segments.append(_segment("HI", *(f"{'ABK' if i == 0 else 'ABF'}{COMPONENT}{code}"
                                     for i, code in enumerate(codes))))
    if claim.rendering is not None:
        segments.append(_name("82", claim.rendering))
    if claim.supervising is not None:
        segments.append(_name("DQ", claim.supervising))
    for number, line in enumerate(claim.lines, start=1):
        procedure = COMPONENT.join(["HC", line.code, *line.modifiers[:4]])
        segments += [
            _segment("LX", str(number)),
            _segment("SV1", procedure, amount(line.charge), "UN", str(line.units), "", "",
                     COMPONENT.join(str(p) for p in line.pointers[:4])),
            _segment("DTP", "472", "D8", f"{line.day:%Y%m%d}"),
        ]
    return segments


# -- validation ------------------------------------------------------------------------


def problems(document: str) -> list[str]:
    """pyx12's findings for an X12 document, each in words with the segment it is in;
    an empty list when the document passes the implementation guide's map."""
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)  # findings come back below
    if not document.startswith("ISA"):
        return ["This is not an X12 file (it does not start with an ISA segment)."]
    errors = io.StringIO()
    param = pyx12.params.params()
    try:
        valid = pyx12.x12n_document.x12n_document(param, io.StringIO(document), None, None,
                                                  fd_json=errors)
    except Exception as error:  # noqa: BLE001 - pyx12 raises bare errors on broken input
        return [f"The file could not be read as X12: {error}."]
    found = _flatten(json.loads(errors.getvalue() or "{}"))
    if not valid and not found:
        found = ["The X12 validator refused the file."]
    return found


def _flatten(node, where: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        label = node.get("seg_id") or where
        if node.get("seg_id") and node.get("cur_line"):
            label = f"{node['seg_id']} (line {node['cur_line']})"
        for error in node.get("errors", []) or []:
            if isinstance(error, dict):
                message = error.get("err_str") or error.get("err_cde")
                found.append(f"{label}: {message}" if label else str(message))
        for key, value in node.items():
            if key != "errors" and isinstance(value, (list, dict)):
                found += _flatten(value, label)
    elif isinstance(node, list):
        for item in node:
            found += _flatten(item, where)
    return found


# -- the 835 ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Adjustment:
    group: str  # CAS01: CO, PR, OA, PI, CR
    reason: str  # CAS02: a CARC
    amount: Decimal
    code: str = ""  # the service line's procedure, when the adjustment is on a line


@dataclass
class ClaimPaid:
    number: str  # CLP01: the claim number we sent in CLM01
    status: str  # CLP02
    charge: Decimal
    paid: Decimal
    patient_share: Decimal
    payer_control_number: str  # CLP07
    adjustments: list[Adjustment] = field(default_factory=list)
    lines: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)  # code, charge, paid


@dataclass
class Remittance:
    trace_number: str  # TRN02: the check or EFT number
    payer_id: str  # TRN03
    payer_name: str
    total_paid: Decimal  # BPR02
    paid_on: date | None
    claims: list[ClaimPaid] = field(default_factory=list)


def _money(value: str | None) -> Decimal:
    return Decimal(value or "0")


def read_remittance(document: str) -> Remittance:
    """The payments of an 835 (already validated): its trace, total, and each claim's
    payment (CLP), adjustments (CAS, claim and service level) and lines (SVC)."""
    param = pyx12.params.params()
    errh = pyx12.error_handler.errh_null()
    reader = pyx12.x12context.X12ContextReader(param, errh, io.StringIO(document))
    remittance = Remittance("", "", "", Decimal(0), None)
    for node in reader.iter_segments("2100"):
        if node.id == "2100":
            remittance.claims.append(_claim_paid(node))
            continue
        segment = node.get_value
        seg_id = node.id if not hasattr(node, "seg_data") else node.seg_data.get_seg_id()
        if seg_id == "BPR":
            remittance.total_paid = _money(segment("BPR02"))
            day = segment("BPR16")
            remittance.paid_on = datetime.strptime(day, "%Y%m%d").date() if day else None
        elif seg_id == "TRN":
            remittance.trace_number, remittance.payer_id = segment("TRN02"), segment("TRN03")
        elif seg_id == "N1" and segment("N101") == "PR":
            remittance.payer_name = segment("N102") or ""
    return remittance


def _cas(node, code: str = "") -> list[Adjustment]:
    adjustments = []
    for cas in node.select("CAS"):
        group = cas.get_value("CAS01")
        for reason_at, amount_at in ((2, 3), (5, 6), (8, 9), (11, 12), (14, 15), (17, 18)):
            reason = cas.get_value(f"CAS{reason_at:02d}")
            if reason:
                adjustments.append(Adjustment(group, reason,
                                              _money(cas.get_value(f"CAS{amount_at:02d}")),
                                              code))
    return adjustments


def _claim_paid(loop) -> ClaimPaid:
    claim = ClaimPaid(number=loop.get_value("CLP01") or "", status=loop.get_value("CLP02"),
                      charge=_money(loop.get_value("CLP03")),
                      paid=_money(loop.get_value("CLP04")),
                      patient_share=_money(loop.get_value("CLP05")),
                      payer_control_number=loop.get_value("CLP07") or "")
    claim.adjustments += _cas(loop)
    for service in loop.select("2110"):
        procedure = (service.get_value("SVC01-2") or "")
        claim.lines.append((procedure, _money(service.get_value("SVC02")),
                            _money(service.get_value("SVC03"))))
        claim.adjustments += _cas(service, procedure)
    return claim


# -- an 835 written from values (the demo's, and the tests' round trip) ------------------


def remittance_file(envelope: Envelope, remittance: Remittance, payee: Party) -> str:
    """An 835 carrying `remittance`: what a payer would send back for a batch."""
    paid_on = remittance.paid_on or envelope.created.date()
    body = [
        _segment("ST", "835", "0001"),
        _segment("BPR", "I", amount(remittance.total_paid), "C", "CHK", "", "", "", "", "",
                 "", "", "", "", "", "", f"{paid_on:%Y%m%d}"),
        _segment("TRN", "1", text(remittance.trace_number, 50), remittance.payer_id),
        _segment("N1", "PR", text(remittance.payer_name, 60)),
        _segment("N3", "PO BOX 1"),
        _segment("N4", "SEATTLE", "WA", "98101"),
        _segment("PER", "BL", "PROVIDER SERVICES", "TE", "8005550100"),
        _segment("N1", "PE", text(payee.last_or_org, 60), "XX", payee.identifier),
        _segment("LX", "1"),
    ]
    for claim in remittance.claims:
        body.append(_segment("CLP", text(claim.number, 38), claim.status, amount(claim.charge),
                             amount(claim.paid), amount(claim.patient_share)
                             if claim.patient_share else "", "MB",
                             text(claim.payer_control_number, 50)))
        body += _cas_segments([a for a in claim.adjustments if not a.code])
        body.append(_segment("NM1", "QC", "1", "PATIENT"))
        for code, charge, paid in claim.lines:
            body += [_segment("SVC", f"HC{COMPONENT}{code}", amount(charge), amount(paid)),
                     _segment("DTM", "472", f"{paid_on:%Y%m%d}")]
            body += _cas_segments([a for a in claim.adjustments if a.code == code])
    return "\n".join(_envelope_head(envelope, "HP", REMITTANCE_GUIDE)
                     + _envelope_tail(envelope, body)) + "\n"


def _cas_segments(adjustments: list[Adjustment]) -> list[str]:
    segments = []
    for group in dict.fromkeys(a.group for a in adjustments):
        triplets: list[str] = []
        for adjustment in (a for a in adjustments if a.group == group):
            triplets += [adjustment.reason, amount(adjustment.amount), ""]
        segments.append(_segment("CAS", group, *triplets))
    return segments
