"""Import of a FHIR transaction Bundle of Patient, Practitioner and Condition resources
(migration from another system). All or nothing: one refused entry refuses the Bundle,
and the report says, entry by entry, what was or would have been created and why not."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from acuback import input_bounds
from acuback.accounts import zones
from acuback.accounts.models import Credential, CredentialKind, CredentialStatus, Practitioner
from acuback.audit.services import audit_append, audit_event
from acuback.clinical import diagnoses
from acuback.patients.models import EpisodeOfCare, EpisodeStatus, Patient
from acuback.patients.services import next_mrns

from . import mapping
from .search import row_id

IMPORTABLE = ("Patient", "Practitioner", "Condition")
# The entries of one Bundle are written in one transaction, which on SQLite holds the only
# write lock: about 1 ms an entry on the benchmark machine, so 5,000 entries keep it
# a few seconds, well inside the 20 s other writers (the worker, the pages) wait.
MAX_IMPORT_ENTRIES = 5000
ORDER = {"Patient": 0, "Practitioner": 0, "Condition": 1}  # conditions need their patient


class Refused(Exception):
    pass


@dataclass
class Outcome:
    index: int
    resource_type: str
    created: str = ""  # "Patient/12"
    refused: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class Report:
    ok: bool
    outcomes: list[Outcome]
    message: str = ""
    issues: list[dict] = field(default_factory=list)  # about the Bundle as a whole

    def operation_outcome(self) -> dict:
        issues = []
        if self.message:
            issues.append({"severity": "error", "code": "invalid", "diagnostics": self.message})
        issues += self.issues
        for o in self.outcomes:
            where = [f"Bundle.entry[{o.index}]"]
            if o.refused:
                issues.append({"severity": "error", "code": "processing",
                               "diagnostics": f"{o.resource_type}: {o.refused}",
                               "expression": where})
            elif not self.ok:
                issues.append({"severity": "information", "code": "informational",
                               "diagnostics": f"{o.resource_type}: valid, not created because "
                                              "the transaction was refused",
                               "expression": where})
            for warning in o.warnings:
                issues.append({"severity": "warning", "code": "informational",
                               "diagnostics": f"{o.resource_type}: {warning}",
                               "expression": where})
        if not issues:
            issues.append({"severity": "information", "code": "informational",
                           "diagnostics": "nothing to import"})
        return mapping.validate({"resourceType": "OperationOutcome", "issue": issues})

    def response_bundle(self) -> dict:
        """The transaction-response: one entry per request entry, in order."""
        entries = []
        for o in self.outcomes:
            response = {"status": "201 Created", "location": o.created}
            if o.warnings:
                response["outcome"] = {"resourceType": "OperationOutcome", "issue": [
                    {"severity": "warning", "code": "informational", "diagnostics": w}
                    for w in o.warnings]}
            entries.append({"response": response})
        return mapping.validate({"resourceType": "Bundle", "type": "transaction-response",
                                 "entry": entries})


def transaction_import(*, bundle: object, clinic, request: HttpRequest) -> Report:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return Report(False, [], "expected a Bundle resource")
    if bundle.get("type") != "transaction":
        return Report(False, [], f"expected a Bundle of type 'transaction', got "
                                 f"{bundle.get('type')!r}")
    try:
        mapping.validate(bundle)
    except mapping.InvalidResource as error:
        return Report(False, [], "the Bundle is not valid FHIR R4; nothing was imported",
                      error.operation_issues())
    entries = bundle.get("entry") or []
    problems = _request_problems(entries)
    if problems:
        return Report(False, [], "the Bundle asks for what this import does not do; nothing "
                                 "was imported", problems)
    outcomes = [Outcome(i, (e.get("resource") or {}).get("resourceType", "?"))
                for i, e in enumerate(entries)]
    # Every entry is checked before anything is written, outside the write transaction:
    # on SQLite (IMMEDIATE transactions) the write lock is held only for the inserts, so
    # a long import does not make the worker and the pages wait past their timeout.
    known = Known(clinic, entries)
    local_refs: dict[str, Patient] = {}
    plans = []
    for i in sorted(range(len(entries)), key=lambda n: ORDER.get(outcomes[n].resource_type, 0)):
        plan = _plan_entry(entries[i], outcomes[i], clinic, local_refs, known)
        if plan is not None:
            plans.append(plan)
    try:
        if any(o.refused for o in outcomes):
            raise Refused
        _write(plans, clinic, entries, request)
    except Refused:
        for o in outcomes:
            o.created = ""
        return Report(False, outcomes, "nothing was imported: the transaction is all or "
                                       "nothing and some entries were refused")
    return Report(True, outcomes)


# Conditional requests an import would have to honour exactly; it does not do them.
CONDITIONAL = ("ifNoneExist", "ifMatch", "ifNoneMatch", "ifModifiedSince")


def _request_problems(entries: list) -> list[dict]:
    """What the entries' requests ask that is not done, as OperationOutcome issues: a
    conditional create (a duplicate would be made instead), a URL naming another type or a
    resource (an update), the same fullUrl twice (R4 bdl-7; references would be ambiguous)."""
    issues, seen = [], {}
    for n, entry in enumerate(entries):
        where = f"Bundle.entry[{n}]"
        request = entry.get("request") or {}
        for name in CONDITIONAL:
            if name in request:
                issues.append((f"{where}.request.{name}", f"request.{name}: conditional "
                               "requests are not supported; check for the record first"))
        resource_type = (entry.get("resource") or {}).get("resourceType")
        if request.get("method") == "POST" and request.get("url") != resource_type:
            issues.append((f"{where}.request.url", f"request.url {request.get('url')!r}: a "
                           f"create of a {resource_type} is posted to {resource_type!r}"))
        full_url = entry.get("fullUrl")
        if full_url and full_url in seen:
            issues.append((f"{where}.fullUrl", f"fullUrl {full_url!r} is also the fullUrl of "
                           f"entry {seen[full_url]}; each entry needs its own"))
        seen.setdefault(full_url, n)
    return [{"severity": "error", "code": "not-supported", "diagnostics": what,
             "expression": [where]} for where, what in issues]


# Codes of required bindings the import reads (FHIR R4 value sets: administrative-gender,
# name-use, contact-point-system, contact-point-use, address-use, address-type,
# condition-clinical, condition-ver-status). Any other code is not valid FHIR.
REQUIRED_CODES = {
    "gender": ("male", "female", "other", "unknown"),
    "name.use": ("usual", "official", "temp", "nickname", "anonymous", "old", "maiden"),
    "telecom.system": ("phone", "fax", "email", "pager", "url", "sms", "other"),
    "telecom.use": ("home", "work", "temp", "old", "mobile"),
    "address.use": ("home", "work", "temp", "old", "billing"),
    "address.type": ("postal", "physical", "both"),
    "clinicalStatus.coding.code": ("active", "recurrence", "relapse", "inactive",
                                   "remission", "resolved"),
    "verificationStatus.coding.code": ("unconfirmed", "provisional", "differential",
                                       "confirmed", "refuted", "entered-in-error"),
}
# The same elements inside Patient.contact.
REQUIRED_CODES.update({f"contact.{path}": codes for path, codes in list(REQUIRED_CODES.items())
                       if path.split(".")[0] in ("gender", "name", "telecom", "address")})


def _refuse_invalid_codes(resource: dict) -> None:
    for path, value in _leaves(resource):
        allowed = REQUIRED_CODES.get(_without_indices(path))
        if allowed and json.loads(value) not in allowed:
            raise Refused(f"{path} {value} is not a code of its value set (one of "
                          f"{', '.join(allowed)})")


@dataclass
class Plan:
    """What one entry will create: the row, then the rows that hang on it."""

    outcome: Outcome
    row: Patient | Practitioner | EpisodeOfCare
    credentials: list[Credential] = field(default_factory=list)
    source_ids: list[str] = field(default_factory=list)  # a patient's identifiers
    skipped: list[str] = field(default_factory=list)  # elements already warned about


class Known:
    """The clinic's patients and practitioners an import may duplicate, read in two
    queries (not two per entry), plus those planned earlier in the same Bundle."""

    def __init__(self, clinic, entries: list):
        births = sorted({b for e in entries if isinstance(
            b := (e.get("resource") or {}).get("birthDate"), str) and len(b) == 10})
        self.patients = {}
        for start in range(0, len(births), 500):  # within SQLite's bound variables
            for p in Patient.objects.filter(clinic=clinic,
                                            date_of_birth__in=births[start:start + 500]):
                self.patients[(p.family_name.lower(), p.given_name.lower(),
                               p.date_of_birth)] = p
        practitioners = list(Practitioner.objects.filter(clinic=clinic))
        self.npis = {p.npi for p in practitioners if p.npi}
        self.names = {p.display_name.lower() for p in practitioners}

    def patient(self, row: Patient):
        return self.patients.get((row.family_name.lower(), row.given_name.lower(),
                                  row.date_of_birth))

    def practitioner(self, row: Practitioner) -> str:
        if row.npi and row.npi in self.npis:
            return f"a practitioner with NPI {row.npi} exists already in this clinic"
        if row.display_name.lower() in self.names:
            return f"a practitioner named {row.display_name!r} exists already in this clinic"
        return ""

    def add(self, row) -> None:
        if isinstance(row, Patient):
            self.patients[(row.family_name.lower(), row.given_name.lower(),
                           row.date_of_birth)] = row
        else:
            self.npis |= {row.npi} - {""}
            self.names.add(row.display_name.lower())


def _plan_entry(entry: dict, outcome: Outcome, clinic, local_refs, known: Known) -> Plan | None:
    resource = entry.get("resource") or {}
    method = (entry.get("request") or {}).get("method")
    if outcome.resource_type not in IMPORTABLE:
        outcome.refused = f"only {', '.join(IMPORTABLE)} can be imported"
        return None
    if method != "POST":
        outcome.refused = f"request.method must be POST (create), got {method!r}"
        return None
    try:
        _refuse_modifiers(entry)
        _refuse_invalid_codes(resource)
        if outcome.resource_type == "Patient":
            plan = Plan(outcome, *_patient(resource, clinic, known))
            if entry.get("fullUrl"):
                local_refs[entry["fullUrl"]] = plan.row
        elif outcome.resource_type == "Practitioner":
            plan = Plan(outcome, *_practitioner(resource, clinic, outcome, known))
        else:
            plan = Plan(outcome, _condition(resource, clinic, local_refs, outcome))
        outcome.warnings += _not_kept(resource, plan)
    except Refused as error:
        outcome.refused = str(error)
        return None
    except ValidationError as error:
        outcome.refused = "; ".join(f"{name}: {' '.join(messages)}"
                                    for name, messages in error.message_dict.items())
        return None
    if not isinstance(plan.row, EpisodeOfCare):
        known.add(plan.row)
    return plan


def _write(plans: list[Plan], clinic, entries: list, request) -> None:
    """Create the planned rows in one short transaction: a few INSERTs per type and one
    for the audit events, whatever the Bundle's size."""
    with transaction.atomic():
        again = Known(clinic, entries)  # anyone added meanwhile (checked under the lock)
        for plan in plans:
            row = plan.row
            existing = again.patient(row) if isinstance(row, Patient) else None
            clash = (f"a patient with this name and date of birth was added meanwhile "
                     f"(MRN {existing.mrn})" if existing else again.practitioner(row)
                     if isinstance(row, Practitioner) else "")
            if clash:
                plan.outcome.refused = clash
                raise Refused
        patients = [p for p in plans if isinstance(p.row, Patient)]
        for plan, mrn in zip(patients, next_mrns(clinic, len(patients)), strict=True):
            plan.row.mrn = mrn
            if plan.source_ids:
                plan.outcome.warnings.append(f"new MRN {mrn}; identifiers from the source "
                                             "system: " + ", ".join(plan.source_ids))
        Patient.objects.bulk_create([p.row for p in patients])
        Practitioner.objects.bulk_create([p.row for p in plans
                                          if isinstance(p.row, Practitioner)])
        credentials = []
        for plan in plans:
            for credential in plan.credentials:
                credential.practitioner = plan.row
                credentials.append(credential)
        Credential.objects.bulk_create(credentials)
        episodes = [p.row for p in plans if isinstance(p.row, EpisodeOfCare)]
        for episode in episodes:
            episode.created_by = request.user
            episode.patient = episode.patient  # a patient of this Bundle has its id now
        EpisodeOfCare.objects.bulk_create(episodes)
        events = []
        for plan in plans:
            row = plan.row
            plan.outcome.created = f"{plan.outcome.resource_type}/{row.pk}"
            events.append(audit_event(request=request, action="fhir.import.create",
                                      clinic=clinic, target=row,
                                      patient=row if isinstance(row, Patient) else
                                      getattr(row, "patient", None)))
        audit_append(*events)


# --- what is kept ----------------------------------------------------------------------------
# FHIR: a resource with a modifier extension, or implicit rules, the receiver does not
# understand must not be processed as if they were absent (R4 Extensibility, §2.4.1).
MODIFIERS = ("modifierExtension", "implicitRules")


def _refuse_modifiers(value, path: str = "") -> None:
    """Refuse an entry carrying a modifier extension or implicit rules anywhere in it."""
    if isinstance(value, dict):
        for key, child in value.items():
            where = f"{path}.{key}" if path else key
            if key in MODIFIERS:
                raise Refused(f"{where.removeprefix('resource.')}: a modifier this server does "
                              "not understand (FHIR requires refusing it rather than ignoring "
                              "it)")
            _refuse_modifiers(child, where)
    elif isinstance(value, list):
        for n, child in enumerate(value):
            _refuse_modifiers(child, f"{path}[{n}]")


def _leaves(value, path: str = ""):
    """(FHIRPath with indices, JSON value) of each primitive in a resource."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaves(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for n, child in enumerate(value):
            yield from _leaves(child, f"{path}[{n}]")
    else:
        yield path, json.dumps(value)


def _without_indices(path: str) -> str:
    return re.sub(r"\[[0-9]+\]", "", path)


# Elements an import replaces by design, so not reported: the source's id and metadata,
# the identifiers (listed in their own warning), the organisation (the importing clinic)
# and the patient a Condition is about (resolved to the imported or existing patient).
REPLACED = {"Patient": re.compile(r"(identifier|managingOrganization)(\[|\.|$)"),
            "Condition": re.compile(r"subject(\.|$)")}


# Source elements acuback sends back under another name.
SENT_AS = {"onsetPeriod.start": "onsetDateTime", "abatementPeriod.start": "abatementDateTime",
           "abatementPeriod.end": "abatementDateTime"}


def _not_kept(resource: dict, plan: Plan) -> list[str]:
    """A warning for each element of the source that acuback will not send back as it
    came: the planned row is mapped to FHIR as it will be sent, and every value of the
    source missing from that is named. A row that would not be valid FHIR when read is
    refused now, not after it is stored (whatever is accepted can be read back)."""
    row = plan.row
    try:
        if isinstance(row, Patient):
            sent = mapping.patient(row)
        elif isinstance(row, Practitioner):
            sent = mapping.practitioner(row, plan.credentials)
        else:
            sent = mapping.condition(row)
    except mapping.InvalidResource as error:
        raise Refused("it could not be sent back as valid FHIR R4: " + "; ".join(
            f"{where}: {what}" for where, what in error.issues)) from error
    available: dict[str, list[str]] = {}
    for path, value in _leaves(sent):
        available.setdefault(_without_indices(path), []).append(value)
    replaced = REPLACED.get(resource.get("resourceType", ""))
    skipped = tuple(plan.skipped)
    warnings = []
    for path, value in _leaves(resource):
        if path in ("resourceType", "id") or path.startswith(("meta.", "meta[")) \
                or (replaced and replaced.match(path)) or path.startswith(skipped):
            continue
        sent_as = SENT_AS.get(path)
        values = available.get(sent_as or _without_indices(path), [])
        if value in values:
            values.remove(value)
            if sent_as:  # kept, but read back under another element: said, not silent
                element = path.split(".")[0]
                warnings.append(f"{element} is kept as one date and sent back as {sent_as} "
                                f"{value} (acuback keeps an onset and a discharge day, not "
                                "periods)")
            continue
        instead = f" (sent back as {', '.join(values)})" if values else ""
        warnings.append(f"{path} {value} is not kept{instead}")
    return warnings


def _first(items: list | None, **match) -> dict:
    for item in items or []:
        if all(item.get(k) == v for k, v in match.items()):
            return item
    return {}


def _patient(r: dict, clinic, known: Known) -> tuple[Patient, list, list[str]]:
    name = _first(r.get("name"), use="official") or _first(r.get("name"))
    usual = _first(r.get("name"), use="usual")
    family, given = name.get("family", ""), (name.get("given") or [""])[0]
    if not family or not given:
        raise Refused("name: a family and a given name are required")
    if not r.get("birthDate"):
        raise Refused("birthDate is required")
    # Modifier elements acuback has no place for: ignoring them would change the meaning.
    if any(k.startswith("deceased") and r[k] not in (False, None) for k in r):
        raise Refused("deceased[x]: acuback does not record a patient's death; a deceased "
                      "patient cannot be imported")
    if r.get("link"):
        raise Refused("link: links to other patient records are not supported")
    birth_sex = next((e.get("valueCode") for e in r.get("extension") or []
                      if e.get("url") == mapping.US_CORE_BIRTHSEX), None)
    sex = {"F": "female", "M": "male"}.get(birth_sex) or {
        "female": "female", "male": "male", "unknown": "unknown"}.get(r.get("gender"), "")
    address = (r.get("address") or [{}])[0]
    lines = address.get("line") or []
    contact = (r.get("contact") or [{}])[0]
    language = ((r.get("communication") or [{}])[0].get("language") or {})
    birth, precision = _partial_day(r["birthDate"], "birthDate")
    if precision != "day" or len(r["birthDate"]) != 10:
        raise Refused("birthDate must be a full date (YYYY-MM-DD)")
    patient = Patient(
        clinic=clinic, mrn="pending", given_name=given, family_name=family,
        preferred_name=(usual.get("given") or [""])[0], date_of_birth=birth,
        sex_at_birth=sex, email=_first(r.get("telecom"), system="email").get("value", ""),
        phone=_first(r.get("telecom"), system="phone").get("value", ""),
        address_line1=lines[0] if lines else "", address_line2=lines[1] if len(lines) > 1
        else "", city=address.get("city", ""), region=address.get("state", ""),
        postal_code=address.get("postalCode", ""),
        preferred_language=language.get("text") or (_first(language.get("coding")).get(
            "display", "")) or "English",
        emergency_contact_name=(contact.get("name") or {}).get("text", ""),
        emergency_contact_relationship=((contact.get("relationship") or [{}])[0]
                                        .get("text", "")),
        emergency_contact_phone=_first(contact.get("telecom"), system="phone").get("value", ""),
        is_active=r.get("active", True))
    duplicate = known.patient(patient)
    if duplicate:
        where = f"Patient/{duplicate.pk}, MRN {duplicate.mrn}" if duplicate.pk else \
            "earlier in this Bundle"
        raise Refused(f"a patient with this name and date of birth exists already ({where})")
    patient.full_clean(exclude=["mrn", "portal_user"])
    source = [f"{i.get('system', '?')}|{i['value']}" for i in r.get("identifier") or []
              if i.get("value")]
    return patient, [], source, []


def _practitioner(r: dict, clinic, outcome: Outcome,
                  known: Known) -> tuple[Practitioner, list[Credential], list[str], list[str]]:
    name = (r.get("name") or [{}])[0]
    display = name.get("text") or " ".join([*(name.get("prefix") or []),
                                            *(name.get("given") or []),
                                            name.get("family", "")]).strip()
    if not display:
        raise Refused("name is required")
    # The parts a name without text is put together from are kept, as its text.
    skipped = [] if name.get("text") else [f"name[0].{part}" for part in
                                           ("prefix", "given", "family")]
    npi = _first(r.get("identifier"), system=mapping.NPI).get("value", "")
    profession = next((e.get("valueCode") for e in r.get("extension") or []
                       if e.get("url") == f"{mapping.EXT}/profession"), None)
    if profession is None:
        profession = "acupuncturist"
        outcome.warnings.append("no profession given: recorded as licensed acupuncturist; "
                                "check it in the registry")
    practitioner = Practitioner(clinic=clinic, display_name=display, npi=npi,
                                profession=profession, is_active=r.get("active", True))
    clash = known.practitioner(practitioner)
    if clash:
        raise Refused(clash)
    practitioner.full_clean(exclude=["user", "supervisor"])
    credentials = []
    for n, q in enumerate(r.get("qualification") or []):
        facts = next((e for e in q.get("extension") or []
                      if e.get("url") == f"{mapping.EXT}/credential"), None)
        if facts is None:
            outcome.warnings.append(f"qualification {n + 1} not imported: without its "
                                    "jurisdiction it cannot clear anyone to needle; add it "
                                    "in the registry")
            skipped.append(f"qualification[{n}].")
            continue
        values = {e["url"]: e.get("valueCode") or e.get("valueString", "")
                  for e in facts.get("extension") or []}
        period = q.get("period") or {}
        credential = Credential(
            practitioner=practitioner, kind=values.get("kind", CredentialKind.LICENCE),
            title=values.get("title", ""), issuer=values.get("issuer", ""),
            number=(_first(q.get("identifier")).get("value", "")),
            jurisdiction=values.get("jurisdiction", ""),
            status=values.get("status", CredentialStatus.ACTIVE),
            issued_on=_full_day(period.get("start"), f"qualification {n + 1}: period.start"),
            expires_on=_full_day(period.get("end"), f"qualification {n + 1}: period.end"))
        try:
            credential.full_clean(exclude=["practitioner", "verified_by"])
        except ValidationError as error:
            raise Refused(f"qualification {n + 1}: " + "; ".join(
                f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        credentials.append(credential)
    return practitioner, credentials, [], skipped


FHIR_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})(?:T.*)?)?)?")


def _partial_day(value: str | None, element: str) -> tuple[date | None, str]:
    """A FHIR date or dateTime -> (the first day it covers, its precision: "year", "month"
    or "day"). A partial date ("2024", "2024-05") is valid FHIR and is kept as such."""
    if not value:
        return None, "day"
    found = FHIR_DATE.fullmatch(value) if isinstance(value, str) else None
    if not found:
        raise Refused(f"{element}: {value!r} is not a FHIR date")
    year, month, day = found.groups()
    try:
        first = date(int(year), int(month or 1), int(day or 1))
    except ValueError as error:
        raise Refused(f"{element}: {value!r} is not a valid date ({error})") from error
    # The bounds every door keeps (a form, the API, this import): a year-1 episode broke
    # the outcomes dashboard's date arithmetic.
    if not input_bounds.in_range(first):
        raise Refused(f"{element}: {value!r}: {input_bounds.OUT_OF_RANGE}")
    return first, "day" if day else "month" if month else "year"


def _full_day(value: str | None, element: str) -> date | None:
    """A date the system decides by (a licence's dates gate needling): a full date only."""
    day, precision = _partial_day(value, element)
    if precision != "day":
        raise Refused(f"{element}: {value!r} needs a full date (YYYY-MM-DD): a licence's "
                      "dates decide whether its holder may needle")
    return day


ACTIVE_STATUSES = ("active", "recurrence", "relapse")
ABATEMENT = ("abatementDateTime", "abatementAge", "abatementPeriod", "abatementRange",
             "abatementString")


def _condition(r: dict, clinic, local_refs, outcome: Outcome) -> EpisodeOfCare:
    reference = (r.get("subject") or {}).get("reference", "")
    patient = local_refs.get(reference)
    if patient is None and reference.startswith("Patient/"):
        pk = row_id(reference.removeprefix("Patient/"))
        patient = Patient.objects.filter(clinic=clinic, pk=pk).first() if pk else None
    if patient is None:
        raise Refused(f"subject {reference!r} is neither a Patient in this Bundle nor a "
                      "patient of this clinic")
    verification = _first((r.get("verificationStatus") or {}).get("coding")).get("code")
    if verification not in (None, "confirmed"):
        # A modifier element: an episode of care is a confirmed problem being treated.
        raise Refused(f"verificationStatus {verification!r}: only a confirmed condition can "
                      "be imported as an episode of care")
    codes = []
    for coding in (r.get("code") or {}).get("coding") or []:
        if coding.get("system") != mapping.ICD10CM:
            continue
        problem = diagnoses.check(coding.get("code", ""))
        if problem:
            raise Refused(f"code {coding.get('code')!r}: {problem}")
        codes.append(diagnoses.normalise(coding["code"]))  # M5450 is M54.50, not a new code
    if not codes:
        raise Refused("code: at least one ICD-10-CM coding from the low-back-pain list is "
                      "required")
    onset_element = "onsetDateTime" if r.get("onsetDateTime") else "onsetPeriod.start"
    onset = r.get("onsetDateTime") or (r.get("onsetPeriod") or {}).get("start")
    if not onset:
        raise Refused("onsetDateTime is required (when the back pain began)")
    status = _first((r.get("clinicalStatus") or {}).get("coding")).get("code")
    abatement = next((name for name in ABATEMENT if r.get(name)), None)
    if abatement and status in ACTIVE_STATUSES:
        raise Refused(f"{abatement} is given while clinicalStatus is {status!r}: an abated "
                      "condition is inactive, resolved or in remission (FHIR invariant con-4)")
    resolved = bool(abatement) or status in ("resolved", "inactive", "remission")
    precision = {}
    onset_date, precision["onset_date"] = _partial_day(onset, onset_element)
    opened, precision["opened_on"] = _partial_day(r.get("recordedDate"), "recordedDate")
    if opened is None:
        opened = zones.today_at(patient.clinic)
    discharged = None
    if resolved:
        # The abatement is the discharge, with its date where FHIR gives one.
        if abatement == "abatementPeriod":
            period = r["abatementPeriod"]
            element = "abatementPeriod.end" if period.get("end") else "abatementPeriod.start"
            discharged, precision["discharged_on"] = _partial_day(
                period.get("end") or period.get("start"), element)
        elif abatement == "abatementDateTime":
            discharged, precision["discharged_on"] = _partial_day(r["abatementDateTime"],
                                                                  "abatementDateTime")
        if discharged is None:
            discharged, precision["discharged_on"] = opened, precision["opened_on"]
            outcome.warnings.append(f"{abatement or 'the abatement date'} gives no date: the "
                                    "discharge is dated on the recorded date")
    episode = EpisodeOfCare(
        patient=patient, onset_date=onset_date, diagnosis_codes=codes, opened_on=opened,
        status=EpisodeStatus.DISCHARGED if resolved else EpisodeStatus.OPEN,
        discharged_on=discharged,
        discharge_reason="imported as resolved" if resolved else "",
        date_precision={k: v for k, v in precision.items() if v != "day"})
    episode.full_clean(exclude=["patient", "created_by"])
    return episode
