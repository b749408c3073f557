"""What each FHIR resource type reads from, who may see it, and how it is searched.

Every queryset starts from the model's ``visible_to(user)``: the API sees exactly what
the same user sees on the web pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from acuback.accounts import zones
from acuback.accounts.models import Clinic, Location, Practitioner
from acuback.accounts.policy import clinic_ids_with
from acuback.billing.models import CoveragePlan
from acuback.clinical import instruments
from acuback.outcomes.models import QuestionnaireResponse, ResponseStatus
from acuback.patients.care import clinical_scope
from acuback.patients.models import Consent, EpisodeOfCare, Patient
from acuback.scheduling.models import Appointment
from acuback.treatment.models import AdverseEvent, Session

from . import mapping
from .search import (
    ID_PARAM,
    NOTHING,
    Options,
    Param,
    SearchError,
    date_param,
    filter_clauses,
    last_updated,
    reference,
    result_options,
    string,
    token,
)

__all__ = ["KINDS", "Kind", "Options", "SearchError", "search"]


@dataclass(frozen=True)
class Kind:
    name: str
    source: Callable[[], QuerySet]  # every row, with the related rows the mapping reads
    visible: Callable[[QuerySet, object], QuerySet]  # (rows, user) -> what the user may see
    to_fhir: Callable[[object], dict]
    clinic_path: str
    patient_path: str | None = None  # for patient= / subject= and $everything
    search_params: tuple[Param, ...] = ()  # besides _id; see search.py
    # When the row last changed: meta.lastUpdated, _lastUpdated and $export's _since.
    updated_field: str = "updated_at"

    @property
    def params(self) -> dict[str, Param]:
        """Every search parameter the type honours, by name."""
        return {"_id": ID_PARAM, "_lastUpdated": last_updated(self.updated_field),
                **{p.name: p for p in self.search_params}}

    def updated(self, obj):
        """When the row behind `obj` last changed (meta.lastUpdated)."""
        return getattr(obj, self.updated_field)

    def of_patient(self, patient_id: int) -> QuerySet:
        """Unscoped: for a patient's own record (the caller has checked who asks)."""
        return self.source().filter(**{self.patient_path: patient_id}).order_by("pk")

    def scoped(self, user, clinic_id: int | None = None) -> QuerySet:
        """What the user may see (clinical records: without breaking the glass,
        patients.care); a token is further held to its own clinic."""
        qs = self.visible(self.source(), user)
        if clinic_id is not None:
            qs = qs.filter(**{self.clinic_path: clinic_id})
        return qs.order_by("pk")

    def searchable(self, user, clinic_id: int | None = None,
                   granted: Collection[int] = ()) -> QuerySet:
        """What a search returns: what a read serves without asking, and the clinical
        record of the patients in `granted` (the caller's unexpired break-the-glass
        grants, which a read serves too, flagged). Search and read agree (issue #30)."""
        qs = self.scoped(user, clinic_id)
        if granted and self.name in CLINICAL_KINDS:
            glass = self.in_clinics(user, clinic_id).filter(
                **{f"{self.patient_path}__in": sorted(granted)})
            qs = self.source().filter(Q(pk__in=qs.values("pk")) | Q(pk__in=glass.values("pk")))
        return qs.order_by("pk")

    def in_clinics(self, user, clinic_id: int | None = None) -> QuerySet:
        """What the user's role opens, care relationship or not: for one patient whose
        access the caller has decided (``care.clinical_access``: in care, or through the
        glass), and to tell a refusal from an unknown id."""
        if self.name not in CLINICAL_KINDS:
            return self.scoped(user, clinic_id)
        qs = self.source().filter(patient__clinic_id__in=clinic_ids_with(
            user, "patient.view_clinical"))
        if clinic_id is not None:
            qs = qs.filter(**{self.clinic_path: clinic_id})
        return qs.order_by("pk")


def _clinic_ids(user) -> list[int]:
    return clinic_ids_with(user, "registry.view")


def _practitioner_role(pr) -> dict:
    cleared = [loc.pk for loc in pr.clinic.locations.all()
               if loc.is_active and pr.clearance_at(loc, zones.today_at(loc)).cleared]
    return mapping.practitioner_role(pr, cleared)


def _observation_code(system, code):
    ids = {i.id for i in instruments.all_instruments()
           if (system in (None, mapping.LOINC) and i.loinc.get("total") == code)
           or (system in (None, f"{mapping.NS}/CodeSystem/instrument") and i.id == code)}
    return Q(instrument__in=ids)


def _condition_code(system, code):
    """Codes match exactly, with their case, as for every token (R4 search). Stored codes
    are upper case (diagnoses.check accepts no other form), so a code with a lower-case
    letter or a character no ICD-10-CM code has matches nothing."""
    if system not in (None, mapping.ICD10CM) or not ICD10_CODE.fullmatch(code):
        return NOTHING
    # JSON list membership, portable across SQLite and PostgreSQL: the stored list is
    # serialised as ["M54.50", ...], so the quoted code is a safe substring. (SQLite's LIKE
    # ignores case; the code was checked to be upper case above.)
    return Q(diagnosis_codes__icontains=f'"{code}"')


ICD10_CODE = re.compile(r"[A-Z0-9.]{1,10}")


def _procedure_code(system, code):
    if system not in (None, mapping.CPT):
        return NOTHING
    return Q(cpt_codes__has_key=code)


def _mrn(system, code):
    """The MRN; its system names the clinic (mapping.mrn_system)."""
    if system is None:
        return Q(mrn=code)
    prefix = f"{mapping.NS}/sid/mrn/"
    if not system.startswith(prefix):
        return NOTHING
    return Q(mrn=code, clinic__slug=system.removeprefix(prefix))


def _npi(system, code):
    return Q(npi=code) if system in (None, mapping.NPI) else NOTHING


def _patient_refs(*names: str, element: str) -> tuple[Param, ...]:
    return tuple(reference(name, "patient", "Patient", element,
                           f"The patient the record is about ({name}=Patient/12 or 12).")
                 for name in names)


def _practitioner_refs(*names: str, element: str) -> tuple[Param, ...]:
    return tuple(reference(name, "practitioner", "Practitioner", element,
                           f"The practitioner who gave the care ({name}=Practitioner/3 or 3).")
                 for name in names)


def _code(match_code, element: str, systems: str) -> Param:
    return token("code", match_code, element, f"The record's code ({systems}).")


def _own(qs, user):
    return qs.visible_to(user)


def _clinical(qs, user):
    return qs.filter(clinical_scope(user))


# The clinical record: seen without breaking the glass only in the care relationship
# (patients.care); demographics, appointments and coverage follow the role alone.
CLINICAL_KINDS = frozenset({"Condition", "Encounter", "Procedure", "Observation",
                            "QuestionnaireResponse", "AdverseEvent", "Consent"})


def _submitted():
    return QuestionnaireResponse.objects.filter(status=ResponseStatus.SUBMITTED)


def _practitioners():
    return Practitioner.objects.prefetch_related("credentials")


PATIENT_LINKED = {"clinic_path": "patient__clinic", "patient_path": "patient"}

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("Patient", lambda: Patient.objects.select_related("clinic"), _own, mapping.patient,
         "clinic", patient_path="pk", search_params=(
             token("identifier", _mrn, "Patient.identifier", "The MRN."),
             string("family", ("family_name",), "Patient.name.family", "Family name."),
             string("given", ("given_name", "preferred_name"), "Patient.name.given",
                    "Given name, official or preferred."),
             string("name", ("family_name", "given_name", "preferred_name"), "Patient.name",
                    "Any part of the name: family, given or preferred."),
             date_param("birthdate", "date_of_birth", "Patient.birthDate", "Date of birth."))),
    Kind("Practitioner", _practitioners, _own,
         lambda pr: mapping.practitioner(pr, list(pr.credentials.all())), "clinic",
         search_params=(
             token("identifier", _npi, "Practitioner.identifier", "The NPI."),
             string("name", ("display_name",), "Practitioner.name.text",
                    "The name as shown; matches the start of any word.", word_start=True))),
    Kind("PractitionerRole", lambda: _practitioners().select_related("clinic")
         .prefetch_related("clinic__locations"), _own, _practitioner_role, "clinic",
         search_params=(reference("practitioner", "pk", "Practitioner",
                                  "PractitionerRole.practitioner", "The practitioner."),)),
    Kind("Organization", Clinic.objects.all,
         lambda qs, u: qs.filter(pk__in=_clinic_ids(u)), mapping.organization, "pk"),
    Kind("Location", Location.objects.all,
         lambda qs, u: qs.filter(clinic_id__in=_clinic_ids(u)), mapping.location, "clinic"),
    Kind("Condition", EpisodeOfCare.objects.all, _own, mapping.condition, **PATIENT_LINKED,
         search_params=(
             *_patient_refs("patient", "subject", element="Condition.subject"),
             _code(_condition_code, "Condition.code", "ICD-10-CM"),
             date_param("recorded-date", "opened_on", "Condition.recordedDate",
                        "When the episode was opened."))),
    Kind("Encounter", Session.objects.all, _own, mapping.encounter, **PATIENT_LINKED,
         search_params=(
             *_patient_refs("patient", "subject", element="Encounter.subject"),
             *_practitioner_refs("practitioner", "participant",
                                 element="Encounter.participant.individual"),
             date_param("date", "session_date", "Encounter.period", "The session's day."))),
    Kind("Procedure", lambda: Session.objects.prefetch_related("insertions"), _own,
         lambda s: mapping.procedure(s, list(s.insertions.all())), **PATIENT_LINKED,
         search_params=(
             *_patient_refs("patient", "subject", element="Procedure.subject"),
             *_practitioner_refs("performer", element="Procedure.performer.actor"),
             _code(_procedure_code, "Procedure.code", "CPT"),
             date_param("date", "session_date", "Procedure.performed", "The session's day."))),
    Kind("Observation", _submitted, _own, mapping.observation, **PATIENT_LINKED,
         search_params=(
             *_patient_refs("patient", "subject", element="Observation.subject"),
             _code(_observation_code, "Observation.code",
                   "LOINC, or the local instrument code system"),
             date_param("date", "submitted_at", "Observation.effective",
                        "When the questionnaire was submitted."))),
    Kind("QuestionnaireResponse", _submitted, _own, mapping.questionnaire_response,
         **PATIENT_LINKED, search_params=(
             *_patient_refs("patient", "subject", element="QuestionnaireResponse.subject"),
             date_param("authored", "submitted_at", "QuestionnaireResponse.authored",
                        "When the questionnaire was submitted."))),
    Kind("AdverseEvent", AdverseEvent.objects.all, _own, mapping.adverse_event,
         **PATIENT_LINKED, search_params=(
             *_patient_refs("patient", "subject", element="AdverseEvent.subject"),
             date_param("date", "onset_at", "AdverseEvent.date", "When the event began."))),
    Kind("Consent", lambda: Consent.objects.select_related("form"), _clinical, mapping.consent,
         **PATIENT_LINKED, search_params=(
             *_patient_refs("patient", "subject", element="Consent.patient"),
             date_param("date", "signed_at", "Consent.dateTime", "When it was signed."))),
    Kind("Appointment", lambda: Appointment.objects.select_related("type", "location"), _own,
         mapping.appointment, "clinic", patient_path="patient",
         search_params=(
             *_patient_refs("patient", "subject",
                            element="Appointment.participant.actor.where(resolve() is Patient)"),
             *_practitioner_refs("practitioner", element="Appointment.participant.actor.where("
                                                         "resolve() is Practitioner)"),
             date_param("date", "start", "Appointment.start", "When it starts."))),
    Kind("Coverage", lambda: CoveragePlan.objects.select_related("payer"), _own,
         mapping.coverage, **PATIENT_LINKED, search_params=_patient_refs(
             "patient", "subject", "beneficiary", element="Coverage.beneficiary")),
)}


def search(kind: Kind, user, params: dict[str, list[str]], *,
           clinic_id: int | None = None,
           granted: Collection[int] = ()) -> tuple[QuerySet, Options]:
    """Apply the search parameters to what the user may read (`Kind.searchable`, with the
    patients of their break-the-glass grants); returns (queryset in the order asked for,
    result options). A parameter, modifier, prefix or value the server does not honour
    exactly raises SearchError naming it."""
    qs = kind.searchable(user, clinic_id, granted)
    for clause in filter_clauses(kind.params, params, qs.model, kind.name):
        qs = qs.filter(clause)
    options = result_options(params, kind.params)
    try:
        mapping.check_elements(kind.name, options.elements)
    except ValueError as error:
        raise SearchError(str(error)) from error
    includes(kind, options)  # refused now, before anything is read
    if options.sort:  # the id last, so that pages never overlap
        qs = qs.order_by(*(("-" if descending else "") + kind.params[name].sort_field
                           for name, descending in options.sort), "pk")
    return qs, options


# --- _include and _revinclude -------------------------------------------------------------

@dataclass(frozen=True)
class Include:
    """One _include (the matches' references, resolved) or _revinclude (the resources
    whose reference points at a match)."""

    value: str  # as given, for messages and the audit
    source: Kind  # the type holding the reference
    param: Param  # the reference search parameter
    target: Kind  # the type referred to
    reverse: bool


def _parse_include(name: str, value: str) -> tuple[Kind, Param, str | None]:
    parts = value.split(":")
    if len(parts) not in (2, 3) or "*" in parts:
        raise SearchError(f"{name}={value!r}: give SourceType:parameter[:TargetType] "
                          "(no wildcard)")
    source = KINDS.get(parts[0])
    param = source.params.get(parts[1]) if source else None
    if param is None or param.type != "reference":
        raise SearchError(f"{name}={value!r}: {parts[1]!r} is not a reference search "
                          f"parameter of {parts[0]!r} here; see the CapabilityStatement's "
                          "searchInclude and searchRevInclude")
    target = parts[2] if len(parts) == 3 else None
    if target is not None and target not in param.target:
        raise SearchError(f"{name}={value!r}: {parts[0]}.{parts[1]} refers to "
                          f"{', '.join(param.target)}, not {target}")
    return source, param, target


def includes(kind: Kind, options: Options) -> list[Include]:
    """The _include and _revinclude of a search of `kind`, each checked; SearchError
    naming the value for anything not honoured."""
    found = []
    for value in options.include:
        source, param, _ = _parse_include("_include", value)
        if source.name != kind.name:  # by name: a SMART launch narrows `kind` (a copy)
            raise SearchError(f"_include={value!r}: the source type must be the type "
                              f"searched ({kind.name}); _include:iterate is not supported")
        found.append(Include(value, source, param, KINDS[param.target[0]], reverse=False))
    for value in options.revinclude:
        source, param, _ = _parse_include("_revinclude", value)
        if kind.name not in param.target:
            raise SearchError(f"_revinclude={value!r}: {source.name}.{param.name} does not "
                              f"refer to {kind.name}")
        found.append(Include(value, source, param, kind, reverse=True))
    return found


def include_values(kind: Kind) -> tuple[list[str], list[str]]:
    """What a search of `kind` honours as _include and as _revinclude (the
    CapabilityStatement's searchInclude and searchRevInclude)."""
    forward = [f"{kind.name}:{p.name}" for p in kind.params.values() if p.type == "reference"]
    reverse = [f"{source.name}:{p.name}" for source in KINDS.values()
               for p in source.params.values()
               if p.type == "reference" and kind.name in p.target]
    return forward, reverse
