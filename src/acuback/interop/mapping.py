"""acuback records as FHIR R4 resources (JSON dicts), each validated with the
fhir.resources R4B models before it leaves (R4B is the R4-compatible model set).

Code systems: LOINC only where instruments.md marks the code verified; ICD-10-CM,
CPT and NPI by their published FHIR URIs; everything without a standard code uses
a local code system under ``NS`` (listed in docs/fhir.md).
"""

from __future__ import annotations

import hashlib
import json
import re
import typing
from base64 import b64encode
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from urllib.parse import quote

from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir_core import types as fhir_types
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from acuback.accounts import zones
from acuback.clinical import diagnoses, instruments, points

NS = "https://acuback.org/fhir"
LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
NPI = "http://hl7.org/fhir/sid/us-npi"
UCUM = "http://unitsofmeasure.org"
US_CORE_BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
EXT = f"{NS}/StructureDefinition"

RESOURCE_TYPES = ("Patient", "Practitioner", "PractitionerRole", "Organization", "Location",
                  "Condition", "Encounter", "Procedure", "Observation",
                  "QuestionnaireResponse", "AdverseEvent", "Consent", "Appointment", "Coverage",
                  "Group")


def load_models() -> None:
    """Import the R4B model of every resource type acuback writes. Imported on first use,
    they cost a worker's first FHIR search 65 ms instead of 12 and 4 MiB; loaded by
    `acuback serve` before its workers fork, 30 ms and 1 MiB (a few datatypes the models
    still import on first use)."""
    for resource_type in RESOURCE_TYPES:
        get_fhir_model_class(resource_type)


class InvalidResource(ValueError):
    """Not valid FHIR R4. `issues` are (FHIRPath of the element, what is wrong), in FHIR's
    words: the validation library's internals (its error types, links, version) stay here."""

    def __init__(self, label: str, issues: list[tuple[str, str]]):
        self.label, self.issues = label, issues
        super().__init__(f"{label}: " + "; ".join(f"{where}: {what}" for where, what in issues))

    def operation_issues(self, severity: str = "error", prefix: str = "") -> list[dict]:
        return [{"severity": severity, "code": "invalid" if severity == "error" else "processing",
                 "diagnostics": prefix + what, "expression": [where]}
                for where, what in self.issues]


def _fhirpath(resource_type: str, loc: tuple) -> str:
    path = resource_type
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _issues(resource_type: str, error: Exception) -> list[tuple[str, str]]:
    if isinstance(error, PydanticValidationError):
        return [(_fhirpath(resource_type, e["loc"]),
                 e["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, "))
                for e in error.errors(include_url=False)]
    return [(resource_type, "not a valid FHIR R4 resource")]


# R4's pattern for uri, url, canonical and uuid (the official JSON schema's): no whitespace.
# fhir.resources checks `\S*` unanchored, so "…/Questionnaire/peg|Krebs 2009" passed it.
URI_PATTERN = re.compile(r"\S*")
_URI_TYPES = (fhir_types.Uri, fhir_types.Url, fhir_types.Uuid)


@cache
def _is_uri(annotation) -> bool:
    """Whether a model field holds a uri-like primitive (through Optional, List, Annotated)."""
    if any(isinstance(meta, _URI_TYPES) for meta in getattr(annotation, "__metadata__", ())):
        return True
    return any(_is_uri(arg) for arg in typing.get_args(annotation))


def _uri_issues(obj: BaseModel, path: str) -> list[tuple[str, str]]:
    """Every uri-like value in a validated model that breaks R4's pattern."""
    issues = []
    for name, field in type(obj).model_fields.items():
        value = getattr(obj, name, None)
        if value is None:
            continue
        where = f"{path}.{field.alias or name}"
        values = value if isinstance(value, list) else [value]
        if _is_uri(field.annotation):
            issues += [(where + (f"[{n}]" if isinstance(value, list) else ""),
                        f"{v!r} is not a valid URI (no whitespace)")
                       for n, v in enumerate(values)
                       if isinstance(v, str) and not URI_PATTERN.fullmatch(v)]
            continue
        for n, item in enumerate(values):
            if isinstance(item, BaseModel):
                issues += _uri_issues(item, where + (f"[{n}]" if isinstance(value, list)
                                                     else ""))
    return issues


def validate(resource: dict) -> dict:
    """Check a resource against the R4B model, and its URIs against R4's pattern (which the
    model does not hold them to); return it unchanged."""
    resource_type = resource.get("resourceType") if isinstance(resource, dict) else None
    label = f"{resource_type}/{resource.get('id')}" if resource_type else "resource"
    try:
        model = get_fhir_model_class(resource_type)
    except (KeyError, ValueError, TypeError) as error:
        raise InvalidResource(label, [("resourceType", f"{resource_type!r} is not a FHIR R4 "
                                                       "resource type")]) from error
    try:
        instance = model.model_validate(resource)
    except RecursionError as error:
        raise InvalidResource(label, [(resource_type, "nested too deeply")]) from error
    except Exception as error:  # pydantic's ValidationError, or a model's own check
        raise InvalidResource(label, _issues(resource_type, error)) from error
    issues = _uri_issues(instance, resource_type)
    if issues:
        raise InvalidResource(label, issues)
    return resource


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def version_id(resource: dict, updated: datetime) -> str:
    """meta.versionId: when the row last changed (microseconds since 1970) and a digest of
    what is sent. The digest changes the version when the resource changes without its row
    (a Coverage that ended yesterday, a PractitionerRole whose licence lapsed today), so an
    ETag never answers 304 for content the client has not seen."""
    micros = (updated - EPOCH) // timedelta(microseconds=1) if updated else 0
    content = json.dumps({k: v for k, v in resource.items() if k != "meta"},
                         sort_keys=True, separators=(",", ":"))
    return f"{micros}-{hashlib.sha256(content.encode()).hexdigest()[:12]}"


def versioned(resource: dict, updated: datetime | None) -> dict:
    """The resource with meta.versionId and meta.lastUpdated (after its id)."""
    meta = {"versionId": version_id(resource, updated)}
    if updated is not None:
        meta["lastUpdated"] = _instant(updated)
    head = {k: resource[k] for k in ("resourceType", "id") if k in resource}
    rest = {k: v for k, v in resource.items() if k != "meta"}
    return {**head, "meta": {**resource.get("meta", {}), **meta}, **rest}


# --- subsets (_elements, _summary) --------------------------------------------------------

SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
             "code": "SUBSETTED", "display": "subsetted"}
ALWAYS_KEPT = ("resourceType", "id", "meta")


@cache
def elements_of(resource_type: str) -> dict[str, dict]:
    """{top-level element as written in JSON: what the R4B model says of it}; a choice
    element ("effective[x]") also under its base name ("effective")."""
    model = get_fhir_model_class(resource_type)
    found: dict[str, dict] = {}
    for name, field in model.model_fields.items():
        facts = field.json_schema_extra or {}
        if not facts.get("element_property"):
            continue
        alias = field.alias or name
        found[alias] = {"summary": bool(facts.get("summary_element_property")),
                        "required": bool(facts.get("element_required")) or field.is_required(),
                        "choice": facts.get("one_of_many")}
        if facts.get("one_of_many"):
            base = found.setdefault(facts["one_of_many"], {"summary": False, "required": False,
                                                           "choice": facts["one_of_many"]})
            base["summary"] |= found[alias]["summary"]
            base["required"] |= bool(facts.get("one_of_many_required"))
    return found


def _kept(resource_type: str, key: str, wanted) -> bool:
    facts = elements_of(resource_type).get(key, {})
    return key in ALWAYS_KEPT or facts.get("required") or wanted(key, facts)


def subset(resource: dict, *, elements: tuple[str, ...] = (), summary: str = "false") -> dict:
    """The resource with only the elements asked for (_elements) or its summary (_summary
    true: the elements R4 marks as summary; data: all but the narrative, which acuback does
    not send), plus its mandatory elements, tagged SUBSETTED as R4 asks."""
    resource_type = resource["resourceType"]
    if elements:
        asked = set(elements)

        def wanted(key, facts):
            return key in asked or facts.get("choice") in asked
    elif summary == "true":
        def wanted(key, facts):
            return facts.get("summary", False)
    elif summary == "data":
        def wanted(key, facts):
            return key != "text"
    else:
        return resource
    kept = {k: v for k, v in resource.items() if _kept(resource_type, k, wanted)}
    meta = dict(kept.get("meta", {}))
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    kept["meta"] = meta
    return kept


def check_elements(resource_type: str, elements: tuple[str, ...]) -> None:
    """Each _elements name is a top-level element of the type (a nested path is not
    honoured); raises ValueError naming the first that is not."""
    known = elements_of(resource_type)
    for name in elements:
        if name not in known:
            raise ValueError(f"_elements: {name!r} is not a top-level element of "
                             f"{resource_type} that can be chosen (only top-level names, "
                             "e.g. _elements=status,subject)")


def mrn_system(clinic) -> str:
    return f"{NS}/sid/mrn/{clinic.slug}"


def ref(resource_type: str, pk, display: str | None = None) -> dict:
    result = {"reference": f"{resource_type}/{pk}"}
    if display:
        result["display"] = display
    return result


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _instant_at(value: datetime | None, place) -> str | None:
    """An instant with the offset of the place where it happens (a visit's location), so
    that 13:30 in Vancouver reads 13:30-08:00, not 21:30+00:00."""
    return None if value is None else zones.local(value, place).isoformat()


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _partial(value: date | None, precision: str | None) -> str | None:
    """A date at the precision it was recorded with ("2024", "2024-05" or "2024-05-17")."""
    if value is None:
        return None
    # Four digits always: strftime's %Y writes year 1 as "1", which is not a FHIR date.
    return {"year": f"{value.year:04d}", "month": f"{value.year:04d}-{value.month:02d}"}.get(
        precision or "", value.isoformat())


def canonical(url: str, version: str | None = None) -> str:
    """A canonical reference `url|version`; the version is free text (an instrument's
    "Krebs 2009"), percent-encoded as RFC 3986 asks, since a URI has no spaces."""
    return url if not version else f"{url}|{quote(version, safe='')}"


def _local(kind: str, code: str, display: str | None = None) -> dict:
    coding = {"system": f"{NS}/CodeSystem/{kind}", "code": code}
    if display:
        coding["display"] = display
    return coding


def _number(value) -> float | int:
    if isinstance(value, Decimal):
        value = float(value)
    return int(value) if float(value).is_integer() else value


def _clean(value):
    """Drop empty values: FHIR forbids empty strings, lists and objects."""
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        cleaned = [_clean(v) for v in value]
        return [v for v in cleaned if v not in (None, "", [], {})]
    return value


def _resource(data: dict) -> dict:
    return validate(_clean(data))


# --- people and places ---------------------------------------------------------------------

GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown",
          "declined": "unknown"}
BIRTH_SEX = {"female": "F", "male": "M"}


def patient(p) -> dict:
    extension = []
    if p.sex_at_birth in BIRTH_SEX:
        extension.append({"url": US_CORE_BIRTHSEX, "valueCode": BIRTH_SEX[p.sex_at_birth]})
    contact = []
    if p.emergency_contact_name:
        contact.append({"relationship": [{"text": p.emergency_contact_relationship or
                                          "emergency contact"}],
                        "name": {"text": p.emergency_contact_name},
                        "telecom": [{"system": "phone", "value": p.emergency_contact_phone}]})
    given = [p.given_name] if p.given_name else []
    names = [{"use": "official", "family": p.family_name, "given": given}]
    if p.preferred_name:
        names.append({"use": "usual", "given": [p.preferred_name], "family": p.family_name})
    return _resource({
        "resourceType": "Patient", "id": str(p.pk), "extension": extension,
        "identifier": [{"use": "usual", "type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
            "system": mrn_system(p.clinic), "value": p.mrn}],
        "active": p.is_active, "name": names,
        "telecom": [{"system": "email", "value": p.email, "use": "home"},
                    {"system": "phone", "value": p.phone, "use": "mobile"}],
        "gender": GENDER.get(p.sex_at_birth) if p.sex_at_birth else None,
        "birthDate": _date(p.date_of_birth),
        "address": [{"line": [p.address_line1, p.address_line2], "city": p.city,
                     "state": p.region, "postalCode": p.postal_code}],
        "contact": contact,
        "communication": [{"language": {"text": p.preferred_language}}]
        if p.preferred_language else [],
        "managingOrganization": ref("Organization", p.clinic_id),
    })


def practitioner(pr, credentials) -> dict:
    qualification = [{
        "identifier": [{"value": c.number}] if c.number else [],
        "code": {"coding": [_local("credential-kind", c.kind, c.get_kind_display())],
                 "text": c.title or c.get_kind_display()},
        "period": {"start": _date(c.issued_on), "end": _date(c.expires_on)},
        "issuer": {"display": f"{c.issuer} ({c.jurisdiction}, {c.get_status_display()})"},
        # The facts the needling gate uses, so another acuback can import them exactly.
        "extension": [{"url": f"{EXT}/credential", "extension": [
            {"url": "kind", "valueCode": c.kind},
            {"url": "jurisdiction", "valueCode": c.jurisdiction},
            {"url": "status", "valueCode": c.status},
            {"url": "issuer", "valueString": c.issuer},
            {"url": "title", "valueString": c.title},
        ]}],
    } for c in credentials]
    return _resource({
        "resourceType": "Practitioner", "id": str(pr.pk), "active": pr.is_active,
        "identifier": [{"system": NPI, "value": pr.npi}] if pr.npi else [],
        "name": [{"text": pr.display_name}],
        "qualification": qualification,
        "extension": [{"url": f"{EXT}/profession", "valueCode": pr.profession}],
    })


def practitioner_role(pr, cleared_location_ids) -> dict:
    return _resource({
        "resourceType": "PractitionerRole", "id": str(pr.pk), "active": pr.is_active,
        "practitioner": ref("Practitioner", pr.pk, pr.display_name),
        "organization": ref("Organization", pr.clinic_id),
        "code": [{"coding": [_local("profession", pr.profession,
                                    pr.get_profession_display())]}],
        # Where the practitioner is cleared to needle today (a current licence there).
        "location": [ref("Location", pk) for pk in cleared_location_ids],
    })


def group(pr, member_ids) -> dict:
    """A practitioner's patients (Group/{practitioner id}, as Group/[id]/$export reads
    it): the members given are those the caller may see."""
    return _resource({
        "resourceType": "Group", "id": str(pr.pk), "type": "person", "actual": True,
        "name": f"Patients of {pr.display_name}",
        "managingEntity": ref("Practitioner", pr.pk, pr.display_name),
        "quantity": len(member_ids),
        "member": [{"entity": ref("Patient", pk)} for pk in member_ids],
    })


def organization(clinic) -> dict:
    return _resource({
        "resourceType": "Organization", "id": str(clinic.pk), "active": True,
        "identifier": [{"system": f"{NS}/sid/clinic", "value": clinic.slug}],
        "name": clinic.name,
        "telecom": [{"system": "phone", "value": clinic.phone},
                    {"system": "email", "value": clinic.email}],
    })


def location(loc) -> dict:
    return _resource({
        "resourceType": "Location", "id": str(loc.pk),
        "status": "active" if loc.is_active else "inactive", "name": loc.name,
        "address": {"line": [loc.address_line1, loc.address_line2], "city": loc.city,
                    "state": loc.region, "postalCode": loc.postal_code,
                    "country": loc.country},
        "managingOrganization": ref("Organization", loc.clinic_id),
        "extension": [{"url": f"{EXT}/jurisdiction", "valueCode": loc.jurisdiction}],
    })


# --- clinical ------------------------------------------------------------------------------

def condition(e) -> dict:
    codings = []
    for code in e.diagnosis_codes:
        known = diagnoses.BY_CODE.get(code)
        codings.append({"system": ICD10CM, "code": code,
                        "display": known.description if known else None})
    discharged = e.status == "discharged"
    return _resource({
        "resourceType": "Condition", "id": str(e.pk),
        "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "code": "resolved" if discharged else "active"}]},
        "verificationStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "code": "confirmed"}]},
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-category",
            "code": "encounter-diagnosis"}]}],
        "code": {"coding": codings, "text": "Back pain episode of care"},
        "bodySite": [{"text": region} for region in e.pain_regions],
        "subject": ref("Patient", e.patient_id),
        "onsetDateTime": _partial(e.onset_date, e.date_precision.get("onset_date")),
        "abatementDateTime": _partial(e.discharged_on, e.date_precision.get("discharged_on"))
        if discharged else None,
        "recordedDate": _partial(e.opened_on, e.date_precision.get("opened_on")),
        "extension": [{"url": f"{EXT}/episode-status", "valueCode": e.status}],
    })


ENCOUNTER_STATUS = {"signed": "finished", "draft": "in-progress"}


def encounter(s) -> dict:
    return _resource({
        "resourceType": "Encounter", "id": str(s.pk),
        "status": ENCOUNTER_STATUS.get(s.status, "unknown"),
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                  "code": "AMB", "display": "ambulatory"},
        "subject": ref("Patient", s.patient_id),
        "participant": [{"individual": ref("Practitioner", s.practitioner_id)}],
        "period": {"start": _date(s.session_date), "end": _date(s.session_date)},
        "reasonReference": [ref("Condition", s.episode_id)],
        "location": [{"location": ref("Location", s.location_id)}],
    })


def _insertion_extension(i) -> dict:
    point = points.lookup(i.point_code) if i.point_code else None
    parts = [
        {"url": "needleSet", "valueInteger": i.needle_set},
        {"url": "point", "valueCoding": _local("acupoint", point.code, point.pinyin)
         if point else _local("acupoint", "ASHI", i.location_text or "ashi point")},
        {"url": "side", "valueCode": i.side},
        {"url": "depth", "valueQuantity": {"value": _number(i.depth_mm), "unit": "mm",
                                           "system": UCUM, "code": "mm"}},
        {"url": "needleDiameter", "valueQuantity": {"value": _number(i.gauge_mm), "unit": "mm",
                                                    "system": UCUM, "code": "mm"}},
        {"url": "needleLength", "valueQuantity": {"value": _number(i.length_mm), "unit": "mm",
                                                  "system": UCUM, "code": "mm"}},
        {"url": "material", "valueCode": i.material},
        {"url": "responseSought", "valueCode": i.response_sought},
        {"url": "responseObtained", "valueBoolean": i.response_obtained},
        {"url": "stimulation", "valueCode": i.stimulation},
        {"url": "retention", "valueQuantity": {"value": i.retention_minutes, "unit": "min",
                                               "system": UCUM, "code": "min"}},
        {"url": "needles", "valueInteger": i.needles},
    ]
    if i.frequency_hz is not None:
        parts.append({"url": "frequency", "valueQuantity": {
            "value": _number(i.frequency_hz), "unit": "Hz", "system": UCUM, "code": "Hz"}})
    return {"url": f"{EXT}/needle-insertion", "extension": parts}


def procedure(s, insertions) -> dict:
    codings = [{"system": CPT, "code": code} for code in sorted(s.cpt_codes)]
    return _resource({
        "resourceType": "Procedure", "id": str(s.pk),
        "status": "completed" if s.status == "signed" else "in-progress",
        "code": {"coding": codings, "text": "Acupuncture" + (
            " with electrical stimulation" if s.electroacupuncture else "")},
        "subject": ref("Patient", s.patient_id),
        "encounter": ref("Encounter", s.pk),
        "performedDateTime": _date(s.session_date),
        "performer": [{"actor": ref("Practitioner", s.practitioner_id)}],
        "location": ref("Location", s.location_id),
        "reasonReference": [ref("Condition", s.episode_id)],
        "bodySite": [{"coding": [_local("acupoint", c)]}
                     for c in sorted({i.point_code for i in insertions if i.point_code})],
        "extension": [
            {"url": f"{EXT}/electroacupuncture", "valueBoolean": s.electroacupuncture},
            {"url": f"{EXT}/needles-inserted", "valueInteger": s.needles_inserted},
            {"url": f"{EXT}/needles-removed", "valueInteger": s.needles_removed},
            *(_insertion_extension(i) for i in insertions),
        ],
    })


def _instrument_code(instrument_id: str, part: str = "total") -> dict:
    inst = instruments.get(instrument_id)
    codings = []
    if part in inst.loinc:
        codings.append({"system": LOINC, "code": inst.loinc[part]})
    codings.append(_local("instrument", instrument_id if part == "total"
                          else f"{instrument_id}.{part}", inst.name if part == "total" else None))
    return {"coding": codings, "text": inst.name if part == "total" else f"{inst.name}: {part}"}


def observation(r) -> dict:
    inst = instruments.get(r.instrument)
    value = None
    if r.total is not None:
        value = {"value": _number(r.total), "unit": inst.unit or "score"}
        if inst.unit == "%":
            value.update(system=UCUM, code="%")
    components = [{"code": _instrument_code(r.instrument, name),
                   "valueQuantity": {"value": _number(score)}}
                  for name, score in sorted(r.subscores.items())]
    if r.band:
        components.append({"code": {"coding": [_local("instrument", f"{r.instrument}.band")],
                                    "text": "band"}, "valueString": r.band})
    return _resource({
        "resourceType": "Observation", "id": str(r.pk),
        "status": "amended" if r.supersedes_id else "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey"}]}],
        "code": _instrument_code(r.instrument),
        "subject": ref("Patient", r.patient_id),
        "focus": [ref("Condition", r.episode_id)],
        "effectiveDateTime": _instant(r.submitted_at),
        "valueQuantity": value,
        "dataAbsentReason": None if value else {"text": r.score_note or "not scored"},
        "component": components,
        "derivedFrom": [ref("QuestionnaireResponse", r.pk)],
        "extension": [{"url": f"{EXT}/time-point", "valueCode": r.time_point},
                      {"url": f"{EXT}/scorer-version", "valueString": r.scorer_version}],
    })


def questionnaire_response(r) -> dict:
    # Answers only: item wording may be licensed (instruments.md), so it is not sent.
    items = []
    for key, answer in sorted(r.answers.items(), key=lambda kv: int(kv[0])):
        entry = {"linkId": str(key)}
        if answer is not None:
            entry["answer"] = [{"valueDecimal" if isinstance(answer, float) and
                                not answer.is_integer() else "valueInteger": _number(answer)}]
        items.append(entry)
    return _resource({
        "resourceType": "QuestionnaireResponse", "id": str(r.pk),
        "questionnaire": canonical(f"{NS}/Questionnaire/{quote(r.instrument, safe='')}",
                                   r.instrument_version),
        "status": "completed" if r.status == "submitted" else "in-progress",
        "subject": ref("Patient", r.patient_id),
        "authored": _instant(r.submitted_at or r.created_at),
        "item": items,
        "extension": [{"url": f"{EXT}/completed-by", "valueCode": r.completed_by}],
    })


AE_SEVERITY = {"minor": "mild", "needed_treatment": "moderate", "serious": "severe"}
AE_OUTCOME = {"resolved": "resolved", "ongoing": "ongoing", "lasting": "resolvedWithSequelae"}


def adverse_event(a) -> dict:
    return _resource({
        "resourceType": "AdverseEvent", "id": str(a.pk), "actuality": "actual",
        "event": {"coding": [_local("adverse-event-type", a.type, a.get_type_display())]},
        "subject": ref("Patient", a.patient_id),
        "date": _instant(a.onset_at),
        "recordedDate": _instant(a.created_at),
        "seriousness": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness",
            # R4's codes, in R4's case (later terminology releases lower-cased them)
            "code": "Serious" if a.severity == "serious" else "Non-serious"}]},
        "severity": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
            "code": AE_SEVERITY[a.severity]},
            _local("adverse-event-severity", a.severity, a.get_severity_display())]},
        "outcome": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
            "code": AE_OUTCOME.get(a.outcome, "unknown")}]} if a.outcome else None,
        "suspectEntity": [{
            "instance": ref("Procedure", a.session_id),
            "causality": [{"assessment": {"coding": [_local("causality", a.causality)]},
                           "productRelatedness": a.get_causality_display()}],
        }] if a.session_id else [],
        "extension": [{"url": f"{EXT}/reporter", "valueCode": a.reporter}],
    })


CONSENT_SCOPE = {"research": "research", "data_sharing": "patient-privacy"}


def consent(c) -> dict:
    text = c.form.body.encode()
    return _resource({
        "resourceType": "Consent", "id": str(c.pk),
        "status": "inactive" if c.withdrawn_at else "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                              "code": CONSENT_SCOPE.get(c.kind, "treatment")}]},
        "category": [{"coding": [_local("consent-kind", c.kind, c.get_kind_display())]}],
        "patient": ref("Patient", c.patient_id),
        "dateTime": _instant(c.signed_at),
        "organization": [ref("Organization", c.form.clinic_id)],
        # R4's Attachment.hash is SHA-1; the SHA-256 the clinic records rides beside it
        "sourceAttachment": {"title": f"{c.form.title} (version {c.version})",
                             "hash": b64encode(hashlib.sha1(text, usedforsecurity=False).digest()).decode(),
                             "extension": [{"url": f"{EXT}/sha256", "valueBase64Binary":
                                            b64encode(hashlib.sha256(text).digest()).decode()}]},
        "policyRule": {"text": f"{c.form.title}, version {c.version}"},
        "provision": {"type": "permit",
                      "period": {"start": _instant(c.signed_at), "end": _instant(c.withdrawn_at)}},
    })


APPOINTMENT_STATUS = {"booked": "booked", "checked_in": "arrived", "completed": "fulfilled",
                      "cancelled": "cancelled", "no_show": "noshow",
                      # FHIR R4 has no "moved": the visit did not happen at this time.
                      "moved": "cancelled"}


def appointment(a) -> dict:
    return _resource({
        "resourceType": "Appointment", "id": str(a.pk),
        "status": APPOINTMENT_STATUS[a.status],
        "appointmentType": {"text": a.type.name},
        "cancelationReason": {"text": a.cancel_reason} if a.cancel_reason else None,
        "start": _instant_at(a.start, a.location), "end": _instant_at(a.end, a.location),
        "minutesDuration": int((a.end - a.start).total_seconds() // 60),
        "created": _instant(a.created_at),
        "participant": [
            {"actor": ref("Patient", a.patient_id), "status": "accepted"},
            {"actor": ref("Practitioner", a.practitioner_id), "status": "accepted"},
            {"actor": ref("Location", a.location_id), "status": "accepted"},
        ],
    })


def coverage(plan) -> dict:
    today = timezone.localdate()
    ended = plan.effective_to is not None and plan.effective_to < today
    return _resource({
        "resourceType": "Coverage", "id": str(plan.pk),
        "status": "cancelled" if ended else "active",
        "subscriberId": plan.member_id,
        "beneficiary": ref("Patient", plan.patient_id),
        "payor": [{"display": plan.payer.name}],
        "period": {"start": _date(plan.effective_from), "end": _date(plan.effective_to)},
        "order": plan.priority,
        "class": [{"type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "plan"}]},
            "value": plan.plan_name or plan.payer.name}],
        "costToBeneficiary": [{"type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/coverage-copay-type",
            "code": "copay"}]}, "valueMoney": {"value": _number(plan.copay), "currency": "USD"}}],
        "extension": [{"url": f"{EXT}/payer-kind", "valueCode": plan.payer.kind},
                      *([{"url": f"{EXT}/visit-limit", "valueInteger": plan.visit_limit}]
                        if plan.visit_limit is not None else [])],
    })
