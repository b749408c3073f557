"""What each FHIR resource type reads from, who may see it, and how it is searched.

Every queryset starts from the model's ``visible_to(user)``: the API sees exactly what
the same user sees on the web pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import DateTimeField, Q, QuerySet

from acuback.accounts import zones
from acuback.accounts.models import Clinic, Location, Practitioner
from acuback.accounts.policy import clinic_ids_with
from acuback.billing.models import CoveragePlan
from acuback.clinical import instruments
from acuback.outcomes.models import QuestionnaireResponse, ResponseStatus
from acuback.patients.models import Consent, EpisodeOfCare, Patient
from acuback.scheduling.models import Appointment
from acuback.treatment.models import AdverseEvent, Session

from . import mapping


class SearchError(ValueError):
    """A search the server cannot do; the message names the parameter."""


@dataclass(frozen=True)
class Kind:
    name: str
    source: Callable[[], QuerySet]  # every row, with the related rows the mapping reads
    visible: Callable[[QuerySet, object], QuerySet]  # (rows, user) -> what the user may see
    to_fhir: Callable[[object], dict]
    clinic_path: str
    patient_path: str | None = None  # for patient= / subject= and $everything
    date_param: str | None = None
    date_field: str | None = None
    code: Callable[[QuerySet, str | None, str], QuerySet] | None = None
    params: dict[str, Callable[[QuerySet, str], QuerySet]] = field(default_factory=dict)
    since_field: str | None = None  # bulk export's _since

    def of_patient(self, patient_id: int) -> QuerySet:
        """Unscoped: for a patient's own record (the caller has checked who asks)."""
        return self.source().filter(**{self.patient_path: patient_id}).order_by("pk")

    def scoped(self, user, clinic_id: int | None = None) -> QuerySet:
        """What the user may see; a token is further held to its own clinic."""
        qs = self.visible(self.source(), user)
        if clinic_id is not None:
            qs = qs.filter(**{self.clinic_path: clinic_id})
        return qs.order_by("pk")


def _clinic_ids(user) -> list[int]:
    return clinic_ids_with(user, "registry.view")


def _practitioner_role(pr) -> dict:
    cleared = [loc.pk for loc in pr.clinic.locations.all()
               if loc.is_active and pr.clearance_at(loc, zones.today_at(loc)).cleared]
    return mapping.practitioner_role(pr, cleared)


def _observation_code(qs, system, code):
    ids = {i.id for i in instruments.all_instruments()
           if (system in (None, mapping.LOINC) and i.loinc.get("total") == code)
           or (system in (None, f"{mapping.NS}/CodeSystem/instrument") and i.id == code)}
    return qs.filter(instrument__in=ids)


def _condition_code(qs, system, code):
    if system not in (None, mapping.ICD10CM):
        return qs.none()
    # JSON list membership, portable across SQLite and PostgreSQL: the stored list is
    # serialised as ["M54.50", ...], so the quoted code is a safe substring.
    return qs.filter(diagnosis_codes__icontains=f'"{code.upper()}"')


def _procedure_code(qs, system, code):
    if system not in (None, mapping.CPT):
        return qs.none()
    return qs.filter(cpt_codes__has_key=code)


def _identifier(qs, value):
    system, _, code = value.rpartition("|")
    return qs.filter(mrn=code)


def _npi(qs, value):
    return qs.filter(npi=value.rpartition("|")[2])


def _own(qs, user):
    return qs.visible_to(user)


def _clinical(qs, user):
    return qs.filter(patient__clinic_id__in=clinic_ids_with(user, "patient.view_clinical"))


def _submitted():
    return QuestionnaireResponse.objects.filter(status=ResponseStatus.SUBMITTED)


def _practitioners():
    return Practitioner.objects.prefetch_related("credentials")


PATIENT_LINKED = {"clinic_path": "patient__clinic", "patient_path": "patient"}

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("Patient", lambda: Patient.objects.select_related("clinic"), _own, mapping.patient,
         "clinic", patient_path="pk", date_param="birthdate", date_field="date_of_birth",
         since_field="updated_at",
         params={"identifier": _identifier,
                 "family": lambda qs, v: qs.filter(family_name__istartswith=v),
                 "given": lambda qs, v: qs.filter(given_name__istartswith=v),
                 "name": lambda qs, v: qs.filter(Q(family_name__istartswith=v)
                                                 | Q(given_name__istartswith=v))}),
    Kind("Practitioner", _practitioners, _own,
         lambda pr: mapping.practitioner(pr, list(pr.credentials.all())), "clinic",
         params={"identifier": _npi,
                 "name": lambda qs, v: qs.filter(display_name__icontains=v)}),
    Kind("PractitionerRole", lambda: _practitioners().select_related("clinic")
         .prefetch_related("clinic__locations"), _own, _practitioner_role, "clinic",
         params={"practitioner": lambda qs, v: qs.filter(pk=_ref_id(v, "Practitioner"))}),
    Kind("Organization", Clinic.objects.all,
         lambda qs, u: qs.filter(pk__in=_clinic_ids(u)), mapping.organization, "pk"),
    Kind("Location", Location.objects.all,
         lambda qs, u: qs.filter(clinic_id__in=_clinic_ids(u)), mapping.location, "clinic"),
    Kind("Condition", EpisodeOfCare.objects.all, _own, mapping.condition, **PATIENT_LINKED,
         date_param="recorded-date", date_field="opened_on", code=_condition_code,
         since_field="updated_at"),
    Kind("Encounter", Session.objects.all, _own, mapping.encounter, **PATIENT_LINKED,
         date_param="date", date_field="session_date", since_field="updated_at"),
    Kind("Procedure", lambda: Session.objects.prefetch_related("insertions"), _own,
         lambda s: mapping.procedure(s, list(s.insertions.all())), **PATIENT_LINKED,
         date_param="date", date_field="session_date", code=_procedure_code,
         since_field="updated_at"),
    Kind("Observation", _submitted, _own, mapping.observation, **PATIENT_LINKED,
         date_param="date", date_field="submitted_at", code=_observation_code,
         since_field="updated_at"),
    Kind("QuestionnaireResponse", _submitted, _own, mapping.questionnaire_response,
         **PATIENT_LINKED, date_param="authored", date_field="submitted_at",
         since_field="updated_at"),
    Kind("AdverseEvent", AdverseEvent.objects.all, _own, mapping.adverse_event,
         **PATIENT_LINKED, date_param="date", date_field="onset_at", since_field="created_at"),
    Kind("Consent", lambda: Consent.objects.select_related("form"), _clinical, mapping.consent,
         **PATIENT_LINKED, date_param="date", date_field="signed_at", since_field="signed_at"),
    Kind("Appointment", lambda: Appointment.objects.select_related("type", "location"), _own,
         mapping.appointment, "clinic", patient_path="patient", date_param="date",
         date_field="start", since_field="updated_at"),
    Kind("Coverage", lambda: CoveragePlan.objects.select_related("payer"), _own,
         mapping.coverage, **PATIENT_LINKED),
)}


COMMON_PARAMS = {"_id", "_count", "_offset", "_format", "_summary"}
MAX_COUNT = 500
DEFAULT_COUNT = 50


def _ref_id(value: str, resource_type: str) -> int:
    """'Patient/12' or '12' → 12."""
    kind, _, pk = value.rpartition("/")
    if kind and kind != resource_type or not pk.isdigit():
        raise SearchError(f"expected a reference to {resource_type}, got {value!r}")
    return int(pk)


DATE_RE = re.compile(r"^(eq|ne|gt|ge|lt|le|sa|eb|ap)?(\d{4})(?:-(\d{2})(?:-(\d{2})"
                     r"(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?)?)?)?$")


def _date_range(value: str) -> tuple[str, datetime, datetime]:
    """A FHIR date search value → (prefix, start, end) as aware datetimes, end exclusive."""
    match = DATE_RE.match(value)
    if not match:
        raise SearchError(f"not a FHIR date: {value!r} (use e.g. ge2026-01-31)")
    prefix, year, month, day, hour, minute, second, zone = match.groups()
    if prefix in ("ne", "sa", "eb", "ap"):
        raise SearchError(f"date prefix {prefix!r} is not supported (use eq, gt, ge, lt, le)")
    try:
        if hour is not None:
            tz = UTC if zone in (None, "Z") else datetime.strptime(
                zone, "%z").tzinfo
            start = datetime(int(year), int(month), int(day), int(hour), int(minute),
                             int(second or 0), tzinfo=tz)
            end = start + timedelta(seconds=1)
        elif day is not None:
            start = datetime.combine(date(int(year), int(month), int(day)), time(),
                                     UTC)
            end = start + timedelta(days=1)
        elif month is not None:
            start = datetime(int(year), int(month), 1, tzinfo=UTC)
            end = datetime(int(year) + (int(month) == 12), int(month) % 12 + 1, 1,
                           tzinfo=UTC)
        else:
            start = datetime(int(year), 1, 1, tzinfo=UTC)
            end = datetime(int(year) + 1, 1, 1, tzinfo=UTC)
    except ValueError as error:
        raise SearchError(f"not a valid date: {value!r} ({error})") from error
    return prefix or "eq", start, end


def _filter_date(qs: QuerySet, field_name: str, value: str) -> QuerySet:
    prefix, start, end = _date_range(value)
    is_datetime = isinstance(qs.model._meta.get_field(field_name), DateTimeField)
    low, high = (start, end) if is_datetime else (start.date(), end.date())
    lookups = {"eq": {f"{field_name}__gte": low, f"{field_name}__lt": high},
               "ge": {f"{field_name}__gte": low}, "gt": {f"{field_name}__gte": high},
               "le": {f"{field_name}__lt": high}, "lt": {f"{field_name}__lt": low}}
    return qs.filter(**lookups[prefix])


def search(kind: Kind, user, params: dict[str, list[str]], *,
           clinic_id: int | None = None) -> tuple[QuerySet, int, int]:
    """Apply the search parameters; returns (queryset, offset, count). Unknown or
    malformed parameters raise SearchError naming the parameter."""
    qs = kind.scoped(user, clinic_id)
    patient_params = {"patient", "subject"} | ({"beneficiary"} if kind.name == "Coverage"
                                                else set())
    allowed = COMMON_PARAMS | set(kind.params)
    if kind.patient_path and kind.name != "Patient":
        allowed |= patient_params
    if kind.date_param:
        allowed.add(kind.date_param)
    if kind.code:
        allowed.add("code")
    for name in params:
        base = name.split(":")[0]
        if base not in allowed:
            raise SearchError(f"unknown search parameter {name!r} for {kind.name}; "
                              f"supported: {', '.join(sorted(allowed))}")
    for name, values in params.items():
        for value in values:
            if name == "_id":
                qs = qs.filter(pk__in=[_ref_id(v, kind.name) for v in value.split(",")])
            elif name in patient_params:
                qs = qs.filter(**{kind.patient_path: _ref_id(value, "Patient")})
            elif name == kind.date_param:
                qs = _filter_date(qs, kind.date_field, value)
            elif name == "code":
                clauses = qs.none()
                for token in value.split(","):
                    system, bar, code = token.rpartition("|")
                    clauses = clauses | kind.code(qs, system if bar else None, code)
                qs = clauses
            elif name in kind.params:
                qs = kind.params[name](qs, value)
            elif name == "_format" and value not in ("json", "application/fhir+json",
                                                     "application/json"):
                raise SearchError("_format: only JSON is supported")
    offset = _integer(params, "_offset", 0, None)
    count = _integer(params, "_count", DEFAULT_COUNT, MAX_COUNT)
    return qs, offset, count


def _integer(params, name, default, maximum) -> int:
    raw = params.get(name, [str(default)])[-1]
    if not raw.isdigit():
        raise SearchError(f"{name} must be a whole number ≥ 0, got {raw!r}")
    value = int(raw)
    return min(value, maximum) if maximum else value
