"""Import of a FHIR transaction Bundle of Patient, Practitioner and Condition resources
(migration from another system). All or nothing: one refused entry refuses the Bundle,
and the report says, entry by entry, what was or would have been created and why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from acuback.accounts import zones
from acuback.accounts.models import Credential, CredentialKind, CredentialStatus, Practitioner
from acuback.audit.services import audit_record
from acuback.clinical import diagnoses
from acuback.patients.models import EpisodeOfCare, EpisodeStatus, Patient
from acuback.patients.services import _next_mrn

from . import mapping

IMPORTABLE = ("Patient", "Practitioner", "Condition")
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

    def operation_outcome(self) -> dict:
        issues = []
        if self.message:
            issues.append({"severity": "error", "code": "invalid", "diagnostics": self.message})
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
        return Report(False, [], f"the Bundle is not valid FHIR R4: {error}")
    entries = bundle.get("entry") or []
    outcomes = [Outcome(i, (e.get("resource") or {}).get("resourceType", "?"))
                for i, e in enumerate(entries)]
    local_refs: dict[str, Patient] = {}
    try:
        with transaction.atomic():
            for i in sorted(range(len(entries)),
                            key=lambda n: ORDER.get(outcomes[n].resource_type, 0)):
                _import_entry(entries[i], outcomes[i], clinic, request, local_refs)
            if any(o.refused for o in outcomes):
                raise Refused
    except Refused:
        for o in outcomes:
            o.created = ""
        return Report(False, outcomes, "nothing was imported: the transaction is all or "
                                       "nothing and some entries were refused")
    return Report(True, outcomes)


def _import_entry(entry: dict, outcome: Outcome, clinic, request, local_refs) -> None:
    resource = entry.get("resource") or {}
    method = (entry.get("request") or {}).get("method")
    if outcome.resource_type not in IMPORTABLE:
        outcome.refused = f"only {', '.join(IMPORTABLE)} can be imported"
        return
    if method != "POST":
        outcome.refused = f"request.method must be POST (create), got {method!r}"
        return
    try:
        with transaction.atomic():  # a savepoint: a refused entry leaves nothing behind
            if outcome.resource_type == "Patient":
                obj = _patient(resource, clinic, outcome, request)
                if entry.get("fullUrl"):
                    local_refs[entry["fullUrl"]] = obj
            elif outcome.resource_type == "Practitioner":
                obj = _practitioner(resource, clinic, outcome)
            else:
                obj = _condition(resource, clinic, request, local_refs)
            outcome.created = f"{outcome.resource_type}/{obj.pk}"
            audit_record(request=request, action="fhir.import.create", clinic=clinic,
                         patient=obj if isinstance(obj, Patient) else
                         getattr(obj, "patient", None), target=obj)
    except Refused as error:
        outcome.refused = str(error)
    except ValidationError as error:
        outcome.refused = "; ".join(f"{name}: {' '.join(messages)}"
                                    for name, messages in error.message_dict.items())


def _first(items: list | None, **match) -> dict:
    for item in items or []:
        if all(item.get(k) == v for k, v in match.items()):
            return item
    return {}


def _patient(r: dict, clinic, outcome: Outcome, request) -> Patient:
    name = _first(r.get("name"), use="official") or _first(r.get("name"))
    usual = _first(r.get("name"), use="usual")
    family, given = name.get("family", ""), (name.get("given") or [""])[0]
    if not family or not given:
        raise Refused("name: a family and a given name are required")
    if not r.get("birthDate"):
        raise Refused("birthDate is required")
    birth_sex = next((e.get("valueCode") for e in r.get("extension") or []
                      if e.get("url") == mapping.US_CORE_BIRTHSEX), None)
    sex = {"F": "female", "M": "male"}.get(birth_sex) or {
        "female": "female", "male": "male", "unknown": "unknown"}.get(r.get("gender"), "")
    address = (r.get("address") or [{}])[0]
    lines = address.get("line") or []
    contact = (r.get("contact") or [{}])[0]
    language = ((r.get("communication") or [{}])[0].get("language") or {})
    birth = date.fromisoformat(r["birthDate"]) if len(r["birthDate"]) == 10 else None
    if birth is None:
        raise Refused("birthDate must be a full date (YYYY-MM-DD)")
    duplicate = Patient.objects.filter(clinic=clinic, family_name__iexact=family,
                                       given_name__iexact=given, date_of_birth=birth).first()
    if duplicate:
        raise Refused(f"a patient with this name and date of birth exists already "
                      f"(Patient/{duplicate.pk}, MRN {duplicate.mrn})")
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
    patient.full_clean(exclude=["mrn", "portal_user"])
    patient.mrn = _next_mrn(clinic)
    patient.save()
    source = [i for i in r.get("identifier") or [] if i.get("value")]
    if source:
        outcome.warnings.append(
            "new MRN " + patient.mrn + "; identifiers from the source system: " +
            ", ".join(f"{i.get('system', '?')}|{i['value']}" for i in source))
    return patient


def _practitioner(r: dict, clinic, outcome: Outcome) -> Practitioner:
    name = (r.get("name") or [{}])[0]
    display = name.get("text") or " ".join([*(name.get("prefix") or []),
                                            *(name.get("given") or []),
                                            name.get("family", "")]).strip()
    if not display:
        raise Refused("name is required")
    npi = _first(r.get("identifier"), system=mapping.NPI).get("value", "")
    if npi and Practitioner.objects.filter(clinic=clinic, npi=npi).exists():
        raise Refused(f"a practitioner with NPI {npi} exists already in this clinic")
    if Practitioner.objects.filter(clinic=clinic, display_name__iexact=display).exists():
        raise Refused(f"a practitioner named {display!r} exists already in this clinic")
    profession = next((e.get("valueCode") for e in r.get("extension") or []
                       if e.get("url") == f"{mapping.EXT}/profession"), None)
    if profession is None:
        profession = "acupuncturist"
        outcome.warnings.append("no profession given: recorded as licensed acupuncturist; "
                                "check it in the registry")
    practitioner = Practitioner(clinic=clinic, display_name=display, npi=npi,
                                profession=profession, is_active=r.get("active", True))
    practitioner.full_clean(exclude=["user", "supervisor"])
    practitioner.save()
    for n, q in enumerate(r.get("qualification") or []):
        facts = next((e for e in q.get("extension") or []
                      if e.get("url") == f"{mapping.EXT}/credential"), None)
        if facts is None:
            outcome.warnings.append(f"qualification {n + 1} not imported: without its "
                                    "jurisdiction it cannot clear anyone to needle; add it "
                                    "in the registry")
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
            issued_on=_day(period.get("start")), expires_on=_day(period.get("end")))
        try:
            credential.full_clean(exclude=["practitioner", "verified_by"])
        except ValidationError as error:
            raise Refused(f"qualification {n + 1}: " + "; ".join(
                f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        credential.save()
    return practitioner


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _condition(r: dict, clinic, request, local_refs) -> EpisodeOfCare:
    reference = (r.get("subject") or {}).get("reference", "")
    patient = local_refs.get(reference)
    if patient is None and reference.startswith("Patient/"):
        pk = reference.removeprefix("Patient/")
        patient = Patient.objects.filter(clinic=clinic, pk=pk).first() if pk.isdigit() else None
    if patient is None:
        raise Refused(f"subject {reference!r} is neither a Patient in this Bundle nor a "
                      "patient of this clinic")
    codes = []
    for coding in (r.get("code") or {}).get("coding") or []:
        if coding.get("system") != mapping.ICD10CM:
            continue
        problem = diagnoses.check(coding.get("code", ""))
        if problem:
            raise Refused(f"code {coding.get('code')!r}: {problem}")
        codes.append(coding["code"].strip().upper())
    if not codes:
        raise Refused("code: at least one ICD-10-CM coding from the low-back-pain list is "
                      "required")
    onset = r.get("onsetDateTime") or (r.get("onsetPeriod") or {}).get("start")
    if not onset:
        raise Refused("onsetDateTime is required (when the back pain began)")
    status = _first((r.get("clinicalStatus") or {}).get("coding"))
    resolved = status.get("code") in ("resolved", "inactive", "remission")
    opened = _day(r.get("recordedDate")) or zones.today_at(patient.clinic)
    episode = EpisodeOfCare(
        patient=patient, onset_date=_day(onset), diagnosis_codes=codes, opened_on=opened,
        status=EpisodeStatus.DISCHARGED if resolved else EpisodeStatus.OPEN,
        discharged_on=(_day(r.get("abatementDateTime")) or opened) if resolved else None,
        discharge_reason="imported as resolved" if resolved else "",
        created_by=request.user)
    episode.full_clean(exclude=["patient", "created_by"])
    episode.save()
    return episode
