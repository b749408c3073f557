"""The JSON API for acuback's own pages and tools (django-ninja; OpenAPI at
/api/openapi.json, browsable at /api/docs). Clinical data exchange with other systems
uses the FHIR API under /fhir/; this one serves lookups the pages need."""

from __future__ import annotations

import functools
import inspect
from datetime import date, datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import NinjaAPI, Query, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth
from pydantic import BeforeValidator

from acuback.accounts import policy
from acuback.accounts.models import Location, Practitioner
from acuback.clinical import instruments, points
from acuback.outcomes.models import QuestionnaireResponse
from acuback.patients.models import Patient
from acuback.row_ids import row_id
from acuback.web.params import EARLIEST, LATEST, parse_date


def _canonical_id(value):
    """A query parameter naming a row: the rule of ids in URL paths (acuback/row_ids.py),
    so "01", "+5" and " 5" are refused rather than read as row 5."""
    if isinstance(value, str):
        number = row_id(value)
        if number is None:
            raise ValueError("an id is written with the digits 0-9, without a leading zero")
        return number
    return value


RowId = Annotated[int, BeforeValidator(_canonical_id)]


class TokenAuth(HttpBearer):
    """The same API tokens as the FHIR API (scope user/*.read)."""

    def authenticate(self, request: HttpRequest, token: str):
        from acuback.interop.models import Scope
        from acuback.interop.services import AuthError, token_caller

        try:
            caller = token_caller(request, token)
            caller.require(Scope.READ)
        except AuthError:
            return None
        request.token_clinic_id = caller.clinic_id  # a token is held to its clinic
        return caller.user


api = NinjaAPI(title="acuback API", version="1", urls_namespace="api",
               auth=[TokenAuth(), django_auth],
               description="Lookups for acuback's own pages and tools. Records for other "
                           "systems: the FHIR R4 API at /fhir/. A query parameter an "
                           "operation does not declare is refused with 400.")


def known_parameters_only(view):
    """Refuse a query parameter the operation does not declare: django-ninja ignores it,
    and an answer that ignored part of the question (say ?meridian=LU) looks right."""
    declared = set(inspect.signature(view).parameters) - {"request"}

    @functools.wraps(view)
    def checked(request: HttpRequest, *args, **kwargs):
        unknown = sorted(set(request.GET) - declared)
        if unknown:
            raise HttpError(400, f"unknown query parameter(s): {', '.join(unknown)}; this "
                                 f"operation takes: {', '.join(sorted(declared)) or 'none'}")
        return view(request, *args, **kwargs)
    return checked


class Error(Schema):
    detail: str


class PointOut(Schema):
    code: str
    meridian: str | None
    pinyin: str
    hanzi: str
    region: str | None
    is_standard: bool
    pneumothorax_caution: bool
    pregnancy_caution: bool


class InstrumentOut(Schema):
    id: str
    name: str
    version: str
    recall: str
    items: int
    minimum: float
    maximum: float
    lower_is_better: bool
    mcid_absolute: float | None
    mcid_percent: float | None
    loinc_total: str | None


class ScoreOut(Schema):
    instrument: str
    time_point: str
    total: float | None
    band: str
    submitted_at: datetime | None
    episode_id: int


class SlotOut(Schema):
    start: datetime
    end: datetime


def _point(p) -> PointOut:
    return PointOut(code=p.code, meridian=p.meridian, pinyin=p.pinyin, hanzi=p.hanzi,
                    region=p.region, is_standard=p.is_standard,
                    pneumothorax_caution=p.pneumothorax_caution,
                    pregnancy_caution=p.pregnancy_caution)


def _staff(request: HttpRequest, permission: str = "patient.view") -> list[int]:
    clinic_ids = policy.clinic_ids_with(request.user, permission)
    token_clinic = getattr(request, "token_clinic_id", None)
    if token_clinic is not None:
        clinic_ids = [c for c in clinic_ids if c == token_clinic]
    if not clinic_ids:
        raise HttpError(403, "staff only")
    return clinic_ids


@api.get("/acupoints", response={200: list[PointOut], 400: Error, 401: Error, 403: Error},
         summary="Search the acupoint catalogue by code (aliases accepted), pinyin or hanzi")
@known_parameters_only
def acupoint_search(request: HttpRequest, q: str = Query(..., min_length=1, max_length=40),
                    limit: int = Query(20, ge=1, le=100)):
    _staff(request)
    return [_point(p) for p in points.search(q, limit=limit)]


@api.get("/acupoints/{code}", response={200: PointOut, 400: Error, 401: Error, 403: Error, 404: Error})
@known_parameters_only
def acupoint_detail(request: HttpRequest, code: str):
    _staff(request)
    point = points.lookup(code)
    if point is None:
        return Status(404, {"detail": f"{code!r} is not in the catalogue"})
    return _point(point)


@api.get("/instruments", response={200: list[InstrumentOut], 400: Error, 401: Error, 403: Error})
@known_parameters_only
def instrument_list(request: HttpRequest):
    _staff(request)
    return [InstrumentOut(
        id=i.id, name=i.name, version=i.version, recall=i.recall, items=len(i.items),
        minimum=i.minimum, maximum=i.maximum, lower_is_better=i.lower_is_better,
        mcid_absolute=i.mcid.absolute if i.mcid else None,
        mcid_percent=i.mcid.percent if i.mcid else None,
        loinc_total=i.loinc.get("total")) for i in instruments.all_instruments()]


@api.get("/patients/{id:patient_id}/scores",
         response={200: list[ScoreOut], 400: Error, 401: Error, 403: Error, 404: Error},
         summary="A patient's current questionnaire scores, oldest first")
@known_parameters_only
def patient_scores(request: HttpRequest, patient_id: int):
    from acuback.audit.services import (
        audit_record,
        audit_refusal,
        audit_refusal_of,
        mark_break_glass,
    )
    from acuback.patients import care

    # One answer for a patient outside the care relationship and one that does not
    # exist (or is another clinic's): the status never tells them apart (issue #25).
    not_here = Status(404, {"detail": "no such patient, or one outside your care "
                                      "relationship: if you treat this patient, open their "
                                      "clinical record on the web and break the glass (give "
                                      "the reason) first"})
    clinic_ids = _staff(request, "patient.view_clinical")
    patient = (Patient.objects.visible_to(request.user)
               .filter(pk=patient_id, clinic_id__in=clinic_ids).first())
    if patient is None:
        audit_refusal_of(request, "security.not_found", rows=Patient.objects.all(),
                         clinic_path="clinic_id", pk=patient_id)
        return not_here
    access = care.clinical_access(request.user, patient)
    if access is care.Access.NEEDS_GLASS:
        audit_refusal(request, "security.forbidden", aimed_clinic_id=patient.clinic_id,
                      target=f"patients.patient:{patient.pk}",
                      detail={"reason": "outside_care"})
        return not_here
    if access is care.Access.GLASS:
        mark_break_glass(request, patient)
    # The access is decided: the patient's responses, care relationship or glass.
    rows = (QuestionnaireResponse.objects.current().filter(patient=patient)
            .order_by("submitted_at", "pk"))
    audit_record(request=request, action="api.patient_scores", patient=patient)
    return [ScoreOut(instrument=r.instrument, time_point=r.time_point, total=r.total,
                     band=r.band, submitted_at=r.submitted_at, episode_id=r.episode_id)
            for r in rows]


@api.get("/slots", response={200: list[SlotOut], 400: Error, 401: Error, 403: Error,
                             404: Error},
         summary="Free appointment slots for one practitioner, location, type and day")
@known_parameters_only
def free_slot_list(request: HttpRequest, practitioner_id: RowId, location_id: RowId,
                   type_id: RowId, day: date):
    from acuback.scheduling.models import AppointmentType
    from acuback.scheduling.selectors import free_slots

    clinic_ids = _staff(request, "schedule.view")
    if parse_date(day.isoformat()) is None:
        return Status(400, {"detail": f"day: give a date from {EARLIEST} to {LATEST}"})
    practitioner = Practitioner.objects.filter(pk=practitioner_id,
                                               clinic_id__in=clinic_ids).first()
    location = Location.objects.filter(pk=location_id, clinic_id__in=clinic_ids).first()
    type_ = AppointmentType.objects.filter(pk=type_id, clinic_id__in=clinic_ids).first()
    if practitioner is None or location is None or type_ is None:
        return Status(404, {"detail": "unknown practitioner, location or appointment type"})
    if location.clinic_id != practitioner.clinic_id or type_.clinic_id != location.clinic_id:
        return Status(404, {"detail": "practitioner, location and type are in different "
                                      "clinics"})
    return [SlotOut(start=start, end=start + type_.duration)
            for start in free_slots(practitioner, location, type_, day)]
