"""FHIR R4 REST endpoints (JSON only). Errors are OperationOutcome resources, never a 500
page: the API's callers are programs."""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from acuback.accounts.models import Practitioner
from acuback.accounts.policy import clinic_ids_with
from acuback.audit.services import (
    audit_record,
    audit_refusal,
    audit_refusal_of,
    mark_break_glass,
)
from acuback.patients import care
from acuback.patients.models import Patient

from . import importer, mapping, services
from .importer import transaction_import
from .models import BulkExport, ExportLevel, ExportStatus, Scope
from .resources import CLINICAL_KINDS, KINDS, SearchError, include_values, includes, search
from .search import (
    DEFAULT_COUNT,
    FORMAT_VALUES,
    MAX_COUNT,
    RESULT_PARAMS,
    SUMMARY_VALUES,
    TOTAL_VALUES,
    documentation,
    result_options,
    row_id,
    search_parameter,
)
from .smart_views import oauth_urls

logger = logging.getLogger(__name__)
FHIR_JSON = "application/fhir+json; charset=utf-8"
NDJSON = "application/fhir+ndjson"


def _json(data: dict, status: int = 200, **headers) -> HttpResponse:
    response = HttpResponse(json.dumps(data, separators=(",", ":")), status=status,
                            content_type=FHIR_JSON)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def outcome(status: int, code: str, message: str, **headers) -> HttpResponse:
    body = {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": message}]}
    return _json(body, status, **headers)


def fhir_api(*methods: str):
    """Method check, authentication and the error contract, for every FHIR view."""
    def decorate(view):
        @csrf_exempt  # token requests carry no cookie; session use is read-only
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                return outcome(405, "not-supported", f"{request.method} is not supported here; "
                                                     f"use {', '.join(methods)}",
                               Allow=", ".join(methods))
            try:
                caller = services.authenticate(request)
                return view(request, caller, *args, **kwargs)
            except services.AuthError as error:
                code = "login" if error.status == 401 else "forbidden"
                headers = {"WWW_Authenticate": 'Bearer realm="acuback"'} \
                    if error.status == 401 else {}
                return outcome(error.status, code, str(error), **headers)
            except SearchError as error:
                return outcome(400, "invalid", str(error))
            except Http404:
                return outcome(404, "not-found", "not found")
            except Exception:
                # Logged with the traceback (no request data); the caller gets FHIR, not HTML.
                logger.exception("FHIR %s %s failed", request.method, view.__name__)
                return outcome(500, "exception", "internal error; it has been logged")
        return wrapper
    return decorate


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir").rstrip("/")


def _only_format(request: HttpRequest, what: str) -> None:
    """Interactions other than search take no parameters but _format: one they ignored
    (say $everything?_type=Observation) would change the answer without saying so."""
    unknown = sorted(set(request.GET) - {"_format"})
    if unknown:
        raise SearchError(f"{what} takes no parameter {', '.join(map(repr, unknown))} "
                          "(only _format)")
    result_options({"_format": request.GET.getlist("_format")} if "_format" in request.GET
                   else {})


def _kind(resource_type: str):
    kind = KINDS.get(resource_type)
    if kind is None:
        raise SearchError(f"unknown or unsupported resource type {resource_type!r}; "
                          f"supported: {', '.join(KINDS)}")
    return kind


BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"
GROUP_DOC = ("Group/{id} is practitioner {id}'s patients: those with a session or an "
             "appointment with the practitioner (Group/[id]/$export); a read lists the "
             "members the caller may see; Groups are not searched")


@csrf_exempt
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: public, as the specification expects."""
    if request.method not in ("GET", "HEAD"):
        return outcome(405, "not-supported", f"{request.method} is not supported here; use GET",
                       Allow="GET")
    try:
        _only_format(request, "metadata")
    except SearchError as error:
        return outcome(400, "invalid", str(error))
    resources = []
    for kind in KINDS.values():
        params = [{"name": p.name, "type": p.type, "documentation": documentation(p),
                   "definition": search_parameter(mapping.NS, kind.name, p)["url"]}
                  for p in kind.params.values()]
        entry = {"type": kind.name, "interaction": [{"code": "read"}, {"code": "search-type"}],
                 # meta.versionId on every resource, ETag on read, If-None-Match: 304;
                 # no history (vread, _history) is kept.
                 "versioning": "versioned", "readHistory": False,
                 "conditionalRead": "not-match",
                 "searchParam": params}
        entry["searchInclude"], entry["searchRevInclude"] = include_values(kind)
        if kind.name == "Patient":
            entry["operation"] = [
                {"name": "everything", "definition":
                 "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
                {"name": "export", "definition": f"{BULK_DATA}/patient-export",
                 "documentation": "every patient of the clinic and their records"}]
        resources.append(entry)
    # Group is read (not searched): a practitioner's patients, as $export reads it.
    resources.append({"type": "Group", "documentation": GROUP_DOC,
                      "interaction": [{"code": "read"}], "versioning": "versioned",
                      "readHistory": False, "conditionalRead": "not-match", "operation": [
        {"name": "export", "definition": f"{BULK_DATA}/group-export", "documentation":
         GROUP_DOC}]})
    statement = {
        "resourceType": "CapabilityStatement", "status": "active",
        "date": timezone.now().isoformat(), "kind": "instance", "fhirVersion": "4.0.1",
        "format": ["json"], "publisher": "acuback",
        "software": {"name": "acuback"},
        "implementation": {"description": "acuback FHIR R4 API", "url": _base(request)},
        "rest": [{
            "mode": "server",
            "security": smart_security(request),
            "resource": resources,
            "interaction": [{"code": "transaction"}],
            "searchParam": [{"name": name, "type": "number" if name in ("_count", "_offset")
                             else "token" if name in ("_summary", "_total") else "special",
                             "documentation": RESULT_DOCS[name]} for name in RESULT_PARAMS],
            "operation": [{"name": "export", "definition": f"{BULK_DATA}/export",
                           "documentation": "GET or POST (Parameters body); _type, _since, "
                           "_outputFormat (NDJSON); Prefer: respond-async, optionally "
                           "handling=lenient (unsupported parameters are ignored with a "
                           "warning instead of a 400)"}],
        }],
    }
    return _json(mapping.validate(statement))


def smart_security(request: HttpRequest) -> dict:
    """rest.security: SMART on FHIR, with the OAuth endpoints in the oauth-uris extension
    (SMART App Launch 2.0 also publishes them at .well-known/smart-configuration)."""
    urls = oauth_urls(request)
    return {
        "extension": [{"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/"
                              "oauth-uris",
                       "extension": [{"url": name, "valueUri": urls[name]}
                                     for name in ("authorize", "token", "revoke", "manage")]}],
        "service": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
            "code": "SMART-on-FHIR"}], "text": "OAuth2 using SMART-on-FHIR profile"}],
        "description": "SMART App Launch 2.0 (authorisation code with PKCE S256; "
                       "patient/, user/ and system/ read scopes) and Backend Services "
                       "(client credentials with a signed JWT); or bearer tokens made by the "
                       "clinic admin (Settings → API tokens), with scopes user/*.read, "
                       "system/*.read ($export) and user/*.write (transaction import).",
    }


RESULT_DOCS = {
    "_count": f"page size, 0-{MAX_COUNT} (default {DEFAULT_COUNT}); 0 returns the total only",
    "_offset": "where the page starts (the next/previous links carry it)",
    "_sort": "the parameters each type's searchParam documentation calls sortable (_id, "
             "_lastUpdated, its date), comma-separated, '-' for descending; ties by id",
    "_summary": f"honoured values: {', '.join(SUMMARY_VALUES)} (true and data tag the "
                "resources SUBSETTED; no narrative is kept, so not text)",
    "_elements": "top-level element names; the mandatory elements, id and meta are kept and "
                 "the resources tagged SUBSETTED; applies to the matches, not to included "
                 "resources",
    "_total": f"honoured values: {', '.join(TOTAL_VALUES)} (the total is always exact)",
    "_include": "the values in each type's searchInclude; the included resources are those "
                "a search of their type would return (search.mode include); not :iterate",
    "_revinclude": "the values in each type's searchRevInclude, as _include",
    "_format": f"honoured values: {', '.join(FORMAT_VALUES)}",
}


@csrf_exempt
def search_parameter_read(request: HttpRequest, pk: str) -> HttpResponse:
    """The definition of each declared search parameter (public, like the metadata)."""
    try:
        _only_format(request, "read")
    except SearchError as error:
        return outcome(400, "invalid", str(error))
    type_name, _, code = pk.partition("-")
    kind = KINDS.get(type_name)
    param = next((p for p in kind.params.values() if p.definition_id == code), None) \
        if kind else None
    if param is None:
        return outcome(404, "not-found", f"SearchParameter/{pk} is not known here")
    return _json(mapping.validate(search_parameter(mapping.NS, kind.name, param)))


@fhir_api("GET")
def search_type(request: HttpRequest, caller, resource_type: str) -> HttpResponse:
    params = {k: request.GET.getlist(k) for k in request.GET}
    return _search(request, caller, resource_type, params, request.build_absolute_uri())


SEARCH_BODY_LIMIT = 64 * 1024  # a form of search parameters
FORM = "application/x-www-form-urlencoded"


@fhir_api("POST")
def search_post(request: HttpRequest, caller, resource_type: str) -> HttpResponse:
    """POST [type]/_search: the parameters form-encoded in the body (and any in the URL,
    added to them), answered exactly as the GET; the links are GET links."""
    _kind(resource_type)
    if request.content_type != FORM:
        return outcome(415, "not-supported", f"POST {resource_type}/_search takes its "
                       f"parameters as {FORM}, not {request.content_type or 'no body type'}")
    body = _limited_body(request, SEARCH_BODY_LIMIT)
    if body is None:
        return outcome(413, "too-costly", f"the search form is over {SEARCH_BODY_LIMIT} bytes")
    try:
        form = QueryDict(body.decode("utf-8"))
    except UnicodeDecodeError:
        return outcome(400, "structure", "the search form is not UTF-8")
    except TooManyFieldsSent:
        return outcome(400, "too-costly", "the search form has too many parameters")
    params = {k: request.GET.getlist(k) for k in request.GET}
    for name in form:
        params.setdefault(name, []).extend(form.getlist(name))
    return _search(request, caller, resource_type, params,
                   _search_url(request, resource_type, params))


def _includes_for(request, caller, kind, options) -> list:
    """The search's _include/_revinclude as this caller reaches them: each is a search of
    its type, so a role refused that type is refused here too, a SMART token's scopes must
    name it, and a patient launch narrows it to its patient as it narrows the search."""
    found = []
    for inc in includes(kind, options):
        included = inc.source if inc.reverse else inc.target
        caller.require_type(included.name, "s")
        _require_kind(request, caller, included)
        found.append(replace(inc, source=caller.kind_for(inc.source),
                             target=caller.kind_for(inc.target)))
    return found


def _search_url(request: HttpRequest, type_name: str, params: dict[str, list[str]]) -> str:
    return request.build_absolute_uri(f"/fhir/{type_name}?{urlencode(params, doseq=True)}")


def _search(request: HttpRequest, caller, resource_type: str, params: dict[str, list[str]],
            self_url: str) -> HttpResponse:
    """A search of one type, by GET or POST _search: the searchset Bundle."""
    kind = _kind(resource_type)
    caller.require(Scope.READ)
    caller.require_type(kind.name, "s")
    kind = caller.kind_for(kind)  # a SMART patient launch: that patient's records only
    _require_kind(request, caller, kind)
    granted = care.granted_patient_ids(caller.user) if kind.name in CLINICAL_KINDS else set()
    qs, options = search(kind, caller.user, params, clinic_id=caller.clinic_id,
                         granted=granted)
    # The total counts what can be sent: not the records that cannot be expressed.
    total, known_bad = services.expressible_count(kind, qs)
    offset, count = options.offset, options.count
    # No rows past the end (and no OFFSET the database cannot hold).
    rows = list(qs[offset:offset + count]) if options.entries_wanted and offset < total \
        else []
    links = {"self": self_url}
    # A next link only moves forward: with _count=0 or _summary=count there is no page to
    # turn to, so paging always ends. Every link carries every parameter of the search.
    if options.entries_wanted and offset + count < total:
        links["next"] = _page_url(request, kind.name, params, offset + count, count)
    if options.entries_wanted and offset > 0:
        links["previous"] = _page_url(request, kind.name, params,
                                      max(0, min(offset, total) - count), count)
    included = services.included_rows(_includes_for(request, caller, kind, options), rows,
                                      caller.user, caller.clinic_id)
    patient_ids = {getattr(r, "patient_id", None) for r in rows} - {None}
    glass = _through_glass(request, caller, kind, granted & patient_ids)
    patient_ids |= {r.pk if isinstance(r, Patient) else getattr(r, "patient_id", None)
                    for _, found in included for r in found}
    patient_ids -= {None}
    detail = {"type": kind.name, "query": urlencode(params, doseq=True)[:500],
              "returned": len(rows), "patients": sorted(patient_ids)[:100]}
    if included:
        detail["included"] = sum(len(found) for _, found in included)
    if glass:
        detail["break_glass_patients"] = sorted(glass)[:100]
    audit_record(request=request, action="fhir.search", clinic=caller.clinic_id,
                 patient=Patient.objects.get(pk=next(iter(patient_ids)))
                 if len(patient_ids) == 1 else None, break_glass=bool(glass), detail=detail)
    issues: list[dict] = []
    resources = services.express(kind, rows, issues)
    total -= services.newly_left_out(rows, resources, known_bad)
    sent = {(kind.name, r["id"]) for r in resources}
    extra = []
    for include_kind, found in included:
        for resource in services.express(include_kind, found, issues):
            if (include_kind.name, resource["id"]) not in sent:
                sent.add((include_kind.name, resource["id"]))
                extra.append(resource)
    resources = [mapping.subset(r, elements=options.elements, summary=options.summary)
                 for r in resources]
    return _json(services.searchset(base=_base(request), resources=resources,
                                    total=None if options.total == "none" else total,
                                    links=links, issues=issues, included=extra))


def _require_kind(request: HttpRequest, caller, kind) -> None:
    """A clinical resource type is closed to a role without the clinical record (the front
    desk): the same 403 for its read, its search and any id, so the status says nothing
    about a patient's record (issue #30: search answered an empty bundle, read 404)."""
    if kind.name not in CLINICAL_KINDS:
        return
    if caller.smart is not None and caller.smart.own_record:
        return  # a patient's own app: their record as the portal shows it (Caller.kind_for)
    clinics = clinic_ids_with(caller.user, "patient.view_clinical")
    if caller.clinic_id is None and clinics or caller.clinic_id in clinics:
        return
    audit_refusal(request, "security.forbidden", detail={"type": kind.name,
                                                         "reason": "role"})
    raise services.AuthError(403, f"{kind.name} resources are part of the clinical record, "
                                  "which your role does not open")


def _through_glass(request: HttpRequest, caller, kind, candidates: set[int]) -> set[int]:
    """Of the patients whose rows a search returns and whose record the caller holds a
    grant for, those outside the usual scope: read through the glass, so this request's
    events about them carry the flag (as for a read)."""
    if not candidates:
        return set()
    usual = set(kind.scoped(caller.user, caller.clinic_id)
                .filter(**{f"{kind.patient_path}__in": sorted(candidates)})
                .values_list(kind.patient_path, flat=True))
    glass = candidates - usual
    for patient in Patient.objects.filter(pk__in=sorted(glass)):
        mark_break_glass(request, patient)
    return glass


def _refused_outside_care(request: HttpRequest, caller, patient: Patient) -> bool:
    """The break-the-glass rule (patients.care) at the API's door: outside the care
    relationship, a record is served only while a grant made on the web lasts, and the
    request is then audited with the flag."""
    access = care.clinical_access(caller.user, patient)
    if access is care.Access.GLASS:
        mark_break_glass(request, patient)
    if access is care.Access.NEEDS_GLASS:
        audit_refusal(request, "security.forbidden", aimed_clinic_id=patient.clinic_id,
                      target=f"patients.patient:{patient.pk}",
                      detail={"reason": "outside_care"})
        return True
    return False


def _not_here(what: str) -> HttpResponse:
    """The one answer for a clinical resource the caller may not see without breaking the
    glass and for one that does not exist: the status never tells them apart (issue #25).
    It still tells a treating clinician the way in."""
    return outcome(404, "not-found", f"{what} is not known here, or it belongs to a patient "
                                     "outside your care relationship: if you treat this "
                                     "patient, open their clinical record on the web and "
                                     "break the glass (give the reason) first; the access "
                                     f"then lasts {care.BREAK_GLASS_HOURS} hours and is "
                                     "audited.")


def _page_url(request: HttpRequest, type_name: str, params: dict[str, list[str]],
              offset: int, count: int) -> str:
    return _search_url(request, type_name, {**params, "_offset": [str(offset)],
                                            "_count": [str(count)]})


@fhir_api("GET")
def read(request: HttpRequest, caller, resource_type: str, pk: str) -> HttpResponse:
    kind = _kind(resource_type)
    caller.require(Scope.READ)
    caller.require_type(kind.name, "r")
    kind = caller.kind_for(kind)  # a SMART patient launch: that patient's records only
    _require_kind(request, caller, kind)
    _only_format(request, "read")
    number = row_id(pk)
    obj = kind.scoped(caller.user, caller.clinic_id).filter(pk=number).first() \
        if number else None
    if obj is None and number:
        obj = kind.in_clinics(caller.user, caller.clinic_id).filter(pk=number).first()
        if obj is not None and _refused_outside_care(request, caller, obj.patient):
            return _not_here(f"{resource_type}/{pk}")
    if obj is None:
        # Audited for the clinic of the row it names, if any (the web's refusals too).
        audit_refusal_of(request, "security.not_found", rows=kind.source(),
                         clinic_path=kind.clinic_path, pk=number)
        return _not_here(f"{resource_type}/{pk}") if kind.name in CLINICAL_KINDS else \
            outcome(404, "not-found", f"{resource_type}/{pk} is not known here")
    patient_id = obj.pk if isinstance(obj, Patient) else getattr(obj, "patient_id", None)
    audit_record(request=request, action="fhir.read", clinic=caller.clinic_id,
                 patient=Patient.objects.get(pk=patient_id) if patient_id else None,
                 target=f"{resource_type}:{pk}")
    issues: list[dict] = []
    resource = next(iter(services.express(kind, [obj], issues)), None)
    if resource is None:  # held here, but not expressible until someone corrects it
        return _json({"resourceType": "OperationOutcome", "issue": [
            {**issue, "severity": "error"} for issue in issues]}, 422)
    return _versioned_response(request, resource)


def _versioned_response(request: HttpRequest, resource: dict) -> HttpResponse:
    """A read's answer with its ETag (W/"versionId") and Last-Modified; 304 without a body
    when If-None-Match names the version the client holds (FHIR conditional read)."""
    meta = resource["meta"]
    etag = f'W/"{meta["versionId"]}"'
    headers = {"ETag": etag}
    if "lastUpdated" in meta:
        headers["Last-Modified"] = http_date(
            datetime.fromisoformat(meta["lastUpdated"]).timestamp())
    if _etag_matches(request.headers.get("If-None-Match", ""), meta["versionId"]):
        response = HttpResponse(status=304)
        for name, value in headers.items():
            response[name] = value
        return response
    return _json(resource, **headers)


def _etag_matches(header: str, version: str) -> bool:
    """If-None-Match (RFC 9110): '*' or a list of entity tags, compared weakly."""
    tags = [t.strip() for t in header.split(",") if t.strip()]
    return "*" in tags or any(t.removeprefix("W/") == f'"{version}"' for t in tags)


@fhir_api("GET")
def group_read(request: HttpRequest, caller, pk: str) -> HttpResponse:
    """GET Group/[id]: practitioner [id]'s patients (as its $export), listing the members
    the caller may see."""
    caller.require(Scope.READ)
    _only_format(request, "read")
    number = row_id(pk)
    practitioner = KINDS["Practitioner"].scoped(caller.user, caller.clinic_id).filter(
        pk=number).first() if number else None
    if practitioner is None:
        audit_refusal_of(request, "security.not_found", rows=Practitioner.objects.all(),
                         clinic_path="clinic_id", pk=number)
        return outcome(404, "not-found", f"Group/{pk} is not known here (a Group is a "
                                         "practitioner's patients: Group/{practitioner id})")
    members = list(KINDS["Patient"].scoped(caller.user, caller.clinic_id)
                   .filter(services.in_group("pk", practitioner.pk))
                   .values_list("pk", flat=True))
    audit_record(request=request, action="fhir.read", clinic=caller.clinic_id,
                 target=f"Group:{practitioner.pk}",
                 detail={"members": len(members), "patients": members[:100]})
    # The membership changes with sessions and appointments, not with one row: the
    # version is the digest of what is sent, and there is no lastUpdated.
    return _versioned_response(request, mapping.versioned(
        mapping.group(practitioner, members), None))


@fhir_api("GET")
def patient_everything(request: HttpRequest, caller, pk: str) -> HttpResponse:
    caller.require(Scope.READ)
    _only_format(request, "$everything")
    if caller.smart is not None and not caller.smart.grant.allows_all("r"):
        raise services.AuthError(403, "$everything needs a scope that reads every type "
                                      "(patient/*.rs or user/*.rs)")
    number = row_id(pk)
    patient = caller.kind_for(KINDS["Patient"]).scoped(caller.user, caller.clinic_id) \
        .filter(pk=number).first() if number else None
    if patient is None:
        audit_refusal_of(request, "security.not_found", rows=Patient.objects.all(),
                         clinic_path="clinic_id", pk=number)
        return _not_here(f"Patient/{pk}/$everything")
    own = caller.smart is not None and caller.smart.own_record
    if not own and _refused_outside_care(request, caller, patient):
        return _not_here(f"Patient/{pk}/$everything")
    # A patient's own app gets the patient's copy (user=None), as the portal gives it.
    bundle = services.everything_bundle(patient=patient, user=None if own else caller.user,
                                        clinic_id=caller.clinic_id, base=_base(request),
                                        self_url=request.build_absolute_uri())
    audit_record(request=request, action="fhir.everything", patient=patient, target=patient,
                 detail={"resources": bundle["total"]})
    return _json(bundle)


OUTPUT_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}


EXPORT_PARAMS = ("_type", "_since", "_outputFormat")
KICKOFF_BODY_LIMIT = 64 * 1024  # a Parameters resource of three values


def _kickoff_params(request: HttpRequest) -> dict[str, list[str]]:
    """The kick-off's parameters: the query of a GET, the Parameters body of a POST
    (Bulk Data IG), as {name: [values]}."""
    if request.method == "GET":
        return {name: request.GET.getlist(name) for name in request.GET}
    if set(request.GET) - {"_format"}:
        raise SearchError("a POST kick-off takes its parameters in a Parameters body, "
                          f"not in the URL ({', '.join(sorted(request.GET))})")
    raw = _limited_body(request, KICKOFF_BODY_LIMIT)
    if raw is None:
        raise SearchError(f"the Parameters body is over {KICKOFF_BODY_LIMIT} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise SearchError("the body is not valid JSON") from error
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise SearchError("a POST kick-off needs a Parameters resource as its body")
    params: dict[str, list[str]] = {}
    for n, parameter in enumerate(body.get("parameter") or []):
        values = [v for k, v in parameter.items() if k.startswith("value")] \
            if isinstance(parameter, dict) else []
        name = parameter.get("name") if isinstance(parameter, dict) else None
        if not isinstance(name, str) or len(values) != 1:
            raise SearchError(f"Parameters.parameter[{n}] needs a name and one value[x]")
        value = values[0] if isinstance(values[0], str) else json.dumps(values[0])
        params.setdefault(name, []).append(value)
    return params


def _preferences(request: HttpRequest) -> set[str]:
    """The Prefer header's preferences ('respond-async', 'handling=lenient'), lower case."""
    return {p.strip().replace(" ", "").lower()
            for p in request.headers.get("Prefer", "").split(",") if p.strip()}


@fhir_api("GET", "POST")
def export_kickoff(request: HttpRequest, caller, level: str = ExportLevel.SYSTEM,
                   group_pk: str | None = None) -> HttpResponse:
    """$export at system level, for every patient (Patient/$export) or for a Group
    (Group/[id]/$export: a practitioner's patients) — Bulk Data Access IG: 202 and a
    status URL to poll."""
    if not caller.by_token:
        return outcome(401, "login", "$export needs a Bearer token with the system/*.read "
                                     "scope", WWW_Authenticate='Bearer realm="acuback"')
    caller.require(Scope.EXPORT)
    group = None
    if level == ExportLevel.GROUP:
        number = row_id(group_pk)
        group = Practitioner.objects.filter(pk=number, clinic_id=caller.clinic_id).first() \
            if number else None
        if group is None:
            audit_refusal_of(request, "security.not_found", rows=Practitioner.objects.all(),
                             clinic_path="clinic_id", pk=number)
            return outcome(404, "not-found", f"Group/{group_pk} is not known here (a Group is "
                                             "a practitioner's patients: Group/{practitioner "
                                             "id})")
    preferences = _preferences(request)
    if "respond-async" not in preferences:
        return outcome(400, "invalid", "$export needs the header 'Prefer: respond-async'")
    params = _kickoff_params(request)
    ignored = sorted(set(params) - set(EXPORT_PARAMS))
    if ignored and "handling=lenient" not in preferences:
        return outcome(400, "not-supported", f"unsupported $export parameter(s): "
                                             f"{', '.join(ignored)}")
    repeated = sorted(n for n in ("_since", "_outputFormat") if len(params.get(n, [])) > 1)
    if repeated:
        return outcome(400, "invalid", f"{', '.join(repeated)} is given more than once")
    output_format = params.get("_outputFormat", ["application/fhir+ndjson"])[0]
    if output_format not in OUTPUT_FORMATS:
        return outcome(400, "not-supported", f"_outputFormat {output_format!r}: only NDJSON")
    empty = sorted(n for n in ("_type", "_since") for value in params.get(n, [])
                   if "" in value.split(","))
    if empty:  # an empty value would silently mean "everything"
        return outcome(400, "invalid", f"{', '.join(dict.fromkeys(empty))}: an empty value "
                                       "(leave the parameter out instead)")
    types = [t for part in params.get("_type", []) for t in part.split(",")]
    allowed = services.export_types(level)
    for t in types:
        _kind(t)
        if t not in allowed:
            return outcome(400, "not-supported", f"_type {t}: not in a {level}-level export "
                                                 f"(only {', '.join(allowed)})")
        caller.require_type(t, "r")  # a backend service's system/ scopes
    if not types and caller.smart is not None and not caller.smart.grant.allows_all("r"):
        return outcome(403, "forbidden", "this app's scopes do not cover every type: name "
                                         "the types it may read in _type")
    since = None
    if "_since" in params:
        try:
            since = datetime.fromisoformat(params["_since"][0].replace("Z", "+00:00"))
            if timezone.is_naive(since):
                return outcome(400, "invalid", "_since needs a time zone, e.g. ...Z")
            since = since.astimezone(UTC)  # as the database compares it
        except (ValueError, OverflowError):
            return outcome(400, "invalid", "_since must be an instant, e.g. "
                                           "2026-01-31T00:00:00Z")
    job = services.export_request(caller=caller, types=types, since=since, request=request,
                                  level=level, group=group)
    status_url = request.build_absolute_uri(f"/fhir/bulk-status/{job.pk}")
    issues = [{"severity": "information", "code": "informational",
               "diagnostics": f"export {job.pk} accepted; poll {status_url}"}]
    # handling=lenient: what was not honoured is said, not silently dropped
    issues += [{"severity": "warning", "code": "not-supported",
                "diagnostics": f"{name}: not supported, ignored (Prefer: handling=lenient)"}
               for name in ignored]
    return _json({"resourceType": "OperationOutcome", "issue": issues}, 202,
                 Content_Location=status_url)


@csrf_exempt  # a token's POST kick-off carries no cookie, as at system level
def patient_export_kickoff(request: HttpRequest) -> HttpResponse:
    return export_kickoff(request, level=ExportLevel.PATIENT)


@csrf_exempt
def group_export_kickoff(request: HttpRequest, pk: str) -> HttpResponse:
    return export_kickoff(request, level=ExportLevel.GROUP, group_pk=pk)


def _own_job(caller, pk: str) -> BulkExport | None:
    """An export job is visible only to the user who asked for it, with the export scope."""
    caller.require(Scope.EXPORT)
    number = row_id(pk)
    if number is None:
        return None
    job = BulkExport.objects.filter(pk=number, clinic_id=caller.clinic_id,
                                    requested_by=caller.user).first()
    # A SMART token reaches a job's status, files and cancel only when its scopes cover
    # every type the job holds (integrator review: a system/Patient.rs token downloaded
    # another token's Observation file of the same acting admin).
    for resource_type in job.types if job else ():
        caller.require_type(resource_type, "r")
    return job


@fhir_api("GET", "DELETE")
def export_status(request: HttpRequest, caller, pk: str) -> HttpResponse:
    _only_format(request, "the export status")
    job = _own_job(caller, pk)
    if job is None:
        return outcome(404, "not-found", f"export {pk} is not known here")
    if request.method == "DELETE":
        # Bulk Data: a DELETE cancels a running export or removes a finished one's files;
        # either way the status and the files answer 404 afterwards.
        BulkExport.objects.filter(pk=job.pk).update(
            status=ExportStatus.CANCELLED, finished_at=job.finished_at or timezone.now())
        job.parts.all().delete()
        audit_record(request=request, action="fhir.export.cancel", clinic=job.clinic_id,
                     target=job)
        return _json({"resourceType": "OperationOutcome", "issue": [{
            "severity": "information", "code": "informational",
            "diagnostics": f"export {job.pk} cancelled"}]}, 202)
    if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        return HttpResponse(status=202, headers={"X-Progress": job.progress or job.status,
                                                 "Retry-After": "5"})
    if job.status == ExportStatus.FAILED:
        return outcome(500, "exception", f"export {job.pk} failed: {job.error}")
    if job.status == ExportStatus.CANCELLED:
        return outcome(404, "not-found", f"export {job.pk} was cancelled")
    if job.output and not job.parts.exists():
        return outcome(404, "not-found", f"the files of export {job.pk} were removed "
                       f"{settings.ACUBACK_EXPORT_KEEP_DAYS} days after it finished")
    manifest = {
        "transactionTime": job.transaction_time.isoformat(),
        "request": job.request_url, "requiresAccessToken": True,
        "output": [{"type": o["type"], "count": o["count"],
                    "url": request.build_absolute_uri(f"/fhir/bulk-files/{job.pk}/{o['file']}")}
                   for o in job.output if not o.get("error")],
        # Records left out because they cannot be expressed: OperationOutcome NDJSON.
        "error": [{"type": o["type"], "count": o["count"],
                   "url": request.build_absolute_uri(f"/fhir/bulk-files/{job.pk}/{o['file']}")}
                  for o in job.output if o.get("error")],
    }
    return HttpResponse(json.dumps(manifest), content_type="application/json")


@fhir_api("GET")
def export_file(request: HttpRequest, caller, pk: str, name: str) -> HttpResponse:
    _only_format(request, "an export file")
    job = _own_job(caller, pk)
    files = {o["file"] for o in job.output} if job else set()
    if job is None or job.status != ExportStatus.DONE or name not in files or \
            not services.export_file_exists(job, name):  # removed after the kept days
        return outcome(404, "not-found", f"no file {name!r} in export {pk}")
    audit_record(request=request, action="fhir.export.download", clinic=job.clinic_id,
                 target=job, detail={"file": name})
    # From the database, part by part: any web node serves what any worker wrote.
    return StreamingHttpResponse((text.encode() for text in
                                  services.export_file_lines(job, name)),
                                 content_type=NDJSON)


MAX_IMPORT_BYTES = 20 * 1024 * 1024  # 20 MiB
# FHIR resources nest a few dozen levels at most (extensions in extensions); deeper JSON
# is refused before the validator recurses into it.
MAX_JSON_DEPTH = 64


def _limited_body(request: HttpRequest, limit: int) -> bytes | None:
    """The request body, or None when it is larger than `limit`. Read here rather than
    through request.body, whose own limit (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MiB) is
    meant for forms and raised an error the FHIR contract turned into a 500."""
    length = request.META.get("CONTENT_LENGTH")
    if not length and request.META.get("wsgi.input_terminated"):
        # A chunked body (no Content-Length): the server (gunicorn) ends the input stream
        # where the body ends; Django's own stream would read it as empty.
        stream, body = request.META["wsgi.input"], b""
        while len(body) <= limit:
            chunk = stream.read(min(64 * 1024, limit + 1 - len(body)))
            if not chunk:
                break
            body += chunk
        return None if len(body) > limit else body
    try:
        declared = int(length or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def _depth(value) -> int:
    """How deeply a parsed JSON value nests (iteratively: no recursion limit to hit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                stack.extend((child, level + 1) for child in
                             (item.values() if isinstance(item, dict) else item))
    return deepest


@fhir_api("POST")
def transaction(request: HttpRequest, caller) -> HttpResponse:
    """POST [base] with a transaction Bundle: the import of another system's records."""
    if not caller.by_token:
        return outcome(401, "login", "import needs a Bearer token with the user/*.write scope",
                       WWW_Authenticate='Bearer realm="acuback"')
    caller.require(Scope.WRITE)
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() \
            and not request.META.get("wsgi.input_terminated"):
        return outcome(411, "structure", "this server cannot read a chunked body here; send "
                                         "the Bundle with a Content-Length")
    body = _limited_body(request, MAX_IMPORT_BYTES)
    if body is None:
        return outcome(413, "too-costly", f"a Bundle may be at most "
                                          f"{MAX_IMPORT_BYTES // (1024 * 1024)} MiB")
    try:
        bundle = json.loads(body)
    except RecursionError:
        return outcome(400, "structure", f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    except (ValueError, UnicodeDecodeError) as error:
        return outcome(400, "structure", f"the body is not JSON: {error}")
    if _depth(bundle) > MAX_JSON_DEPTH:
        return outcome(400, "structure", f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    if isinstance(entries, list) and len(entries) > importer.MAX_IMPORT_ENTRIES:
        return outcome(413, "too-costly", f"a Bundle may have at most "
                                          f"{importer.MAX_IMPORT_ENTRIES:,} entries (this one "
                                          f"has {len(entries):,}); split it into several")
    report = transaction_import(bundle=bundle, clinic=caller.token.clinic, request=request)
    audit_record(request=request, action="fhir.import", clinic=caller.clinic_id,
                 detail={"ok": report.ok, "created": [o.created for o in report.outcomes
                                                       if o.created],
                         "refused": [o.index for o in report.outcomes if o.refused]})
    if not report.ok:
        status = 400 if not report.outcomes else 422
        return _json(report.operation_outcome(), status)
    return _json(report.response_bundle())


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return outcome(404, "not-found", f"no FHIR endpoint at /fhir/{path}")

