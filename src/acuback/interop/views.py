"""FHIR R4 REST endpoints (JSON only). Errors are OperationOutcome resources, never a 500
page: the API's callers are programs."""

from __future__ import annotations

import functools
import json
import logging
from datetime import datetime

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from acuback.audit.services import audit_record
from acuback.patients.models import Patient

from . import mapping, services
from .importer import transaction_import
from .models import BulkExport, ExportStatus, Scope
from .resources import KINDS, SearchError, search

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


def _kind(resource_type: str):
    kind = KINDS.get(resource_type)
    if kind is None:
        raise SearchError(f"unknown or unsupported resource type {resource_type!r}; "
                          f"supported: {', '.join(KINDS)}")
    return kind


@csrf_exempt
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: public, as the specification expects."""
    resources = []
    for kind in KINDS.values():
        params = [{"name": "_id", "type": "token"}]
        if kind.patient_path and kind.name != "Patient":
            params += [{"name": "patient", "type": "reference"},
                       {"name": "subject", "type": "reference"}]
        if kind.date_param:
            params.append({"name": kind.date_param, "type": "date"})
        if kind.code:
            params.append({"name": "code", "type": "token"})
        params += [{"name": name, "type": "token" if name == "identifier" else "string"}
                   for name in kind.params]
        entry = {"type": kind.name, "interaction": [{"code": "read"}, {"code": "search-type"}],
                 "searchParam": params}
        if kind.name == "Patient":
            entry["operation"] = [{"name": "everything", "definition":
                                   "http://hl7.org/fhir/OperationDefinition/Patient-everything"}]
        resources.append(entry)
    statement = {
        "resourceType": "CapabilityStatement", "status": "active",
        "date": timezone.now().isoformat(), "kind": "instance", "fhirVersion": "4.0.1",
        "format": ["json"], "publisher": "acuback",
        "software": {"name": "acuback"},
        "implementation": {"description": "acuback FHIR R4 API", "url": _base(request)},
        "rest": [{
            "mode": "server",
            "security": {"description": "Bearer tokens made by the clinic admin (Settings → "
                                        "API tokens), with scopes user/*.read, system/*.read "
                                        "($export) and user/*.write (transaction import)."},
            "resource": resources,
            "interaction": [{"code": "transaction"}],
            "operation": [{"name": "export", "definition":
                           "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}],
        }],
    }
    return _json(mapping.validate(statement))


@fhir_api("GET")
def search_type(request: HttpRequest, caller, resource_type: str) -> HttpResponse:
    kind = _kind(resource_type)
    caller.require(Scope.READ)
    params = {k: request.GET.getlist(k) for k in request.GET}
    qs, offset, count = search(kind, caller.user, params, clinic_id=caller.clinic_id)
    total = qs.count()
    rows = list(qs[offset:offset + count])
    links = {"self": request.build_absolute_uri()}
    if offset + count < total:
        links["next"] = _page_url(request, offset + count, count)
    if offset > 0:
        links["previous"] = _page_url(request, max(0, offset - count), count)
    patient_ids = {getattr(r, "patient_id", None) for r in rows} - {None}
    audit_record(request=request, action="fhir.search", clinic=caller.clinic_id,
                 patient=Patient.objects.get(pk=next(iter(patient_ids)))
                 if len(patient_ids) == 1 else None,
                 detail={"type": kind.name, "query": request.GET.urlencode()[:500],
                         "returned": len(rows), "patients": sorted(patient_ids)[:100]})
    return _json(services.searchset(base=_base(request), resources=[kind.to_fhir(r)
                                                                     for r in rows],
                                    total=total, links=links))


def _page_url(request: HttpRequest, offset: int, count: int) -> str:
    query = request.GET.copy()
    query["_offset"], query["_count"] = str(offset), str(count)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@fhir_api("GET")
def read(request: HttpRequest, caller, resource_type: str, pk: str) -> HttpResponse:
    kind = _kind(resource_type)
    caller.require(Scope.READ)
    obj = kind.scoped(caller.user, caller.clinic_id).filter(pk=pk).first() \
        if pk.isdigit() else None
    if obj is None:
        return outcome(404, "not-found", f"{resource_type}/{pk} is not known here")
    patient_id = obj.pk if isinstance(obj, Patient) else getattr(obj, "patient_id", None)
    audit_record(request=request, action="fhir.read", clinic=caller.clinic_id,
                 patient=Patient.objects.get(pk=patient_id) if patient_id else None,
                 target=f"{resource_type}:{pk}")
    return _json(kind.to_fhir(obj))


@fhir_api("GET")
def patient_everything(request: HttpRequest, caller, pk: str) -> HttpResponse:
    caller.require(Scope.READ)
    patient = KINDS["Patient"].scoped(caller.user, caller.clinic_id).filter(pk=pk).first() \
        if pk.isdigit() else None
    if patient is None:
        return outcome(404, "not-found", f"Patient/{pk} is not known here")
    resources = services.everything(patient=patient, user=caller.user,
                                    clinic_id=caller.clinic_id)
    audit_record(request=request, action="fhir.everything", patient=patient, target=patient,
                 detail={"resources": len(resources)})
    return _json(services.searchset(base=_base(request), resources=resources,
                                    total=len(resources),
                                    links={"self": request.build_absolute_uri()}))


OUTPUT_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}


@fhir_api("GET")
def export_kickoff(request: HttpRequest, caller) -> HttpResponse:
    """System-level $export (Bulk Data Access IG): 202 and a status URL to poll."""
    if caller.token is None:
        return outcome(401, "login", "$export needs a Bearer token with the system/*.read "
                                     "scope", WWW_Authenticate='Bearer realm="acuback"')
    unknown = set(request.GET) - {"_type", "_since", "_outputFormat"}
    if unknown:
        return outcome(400, "not-supported", f"unsupported $export parameter(s): "
                                             f"{', '.join(sorted(unknown))}")
    if request.headers.get("Prefer", "").lower() != "respond-async":
        return outcome(400, "invalid", "$export needs the header 'Prefer: respond-async'")
    output_format = request.GET.get("_outputFormat", "application/fhir+ndjson")
    if output_format not in OUTPUT_FORMATS:
        return outcome(400, "not-supported", f"_outputFormat {output_format!r}: only NDJSON")
    types = [t for part in request.GET.getlist("_type") for t in part.split(",") if t]
    for t in types:
        _kind(t)
    since = None
    if request.GET.get("_since"):
        try:
            since = datetime.fromisoformat(request.GET["_since"].replace("Z", "+00:00"))
        except ValueError:
            return outcome(400, "invalid", "_since must be an instant, e.g. "
                                           "2026-01-31T00:00:00Z")
        if timezone.is_naive(since):
            return outcome(400, "invalid", "_since needs a time zone, e.g. ...Z")
    job = services.export_request(caller=caller, types=types, since=since, request=request)
    status_url = request.build_absolute_uri(f"/fhir/bulk-status/{job.pk}")
    return _json({"resourceType": "OperationOutcome", "issue": [{
        "severity": "information", "code": "informational",
        "diagnostics": f"export {job.pk} accepted; poll {status_url}"}]}, 202,
        Content_Location=status_url)


def _own_job(caller, pk: int) -> BulkExport | None:
    """An export job is visible only to the user who asked for it, with the export scope."""
    caller.require(Scope.EXPORT)
    return BulkExport.objects.filter(pk=pk, clinic_id=caller.clinic_id,
                                     requested_by=caller.user).first()


@fhir_api("GET", "DELETE")
def export_status(request: HttpRequest, caller, pk: int) -> HttpResponse:
    job = _own_job(caller, pk)
    if job is None:
        return outcome(404, "not-found", f"export {pk} is not known here")
    if request.method == "DELETE":
        if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
            BulkExport.objects.filter(pk=job.pk).update(status=ExportStatus.CANCELLED,
                                                        finished_at=timezone.now())
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
    if job.output and not job.directory.exists():
        return outcome(404, "not-found", f"the files of export {job.pk} were removed "
                       f"{settings.ACUBACK_EXPORT_KEEP_DAYS} days after it finished")
    manifest = {
        "transactionTime": job.transaction_time.isoformat(),
        "request": job.request_url, "requiresAccessToken": True,
        "output": [{"type": o["type"], "count": o["count"],
                    "url": request.build_absolute_uri(f"/fhir/bulk-files/{job.pk}/{o['file']}")}
                   for o in job.output],
        "error": [],
    }
    return HttpResponse(json.dumps(manifest), content_type="application/json")


@fhir_api("GET")
def export_file(request: HttpRequest, caller, pk: int, name: str) -> HttpResponse:
    job = _own_job(caller, pk)
    files = {o["file"] for o in job.output} if job else set()
    if job is None or job.status != ExportStatus.DONE or name not in files or \
            not (job.directory / name).exists():  # removed after ACUBACK_EXPORT_KEEP_DAYS
        return outcome(404, "not-found", f"no file {name!r} in export {pk}")
    audit_record(request=request, action="fhir.export.download", clinic=job.clinic_id,
                 target=job, detail={"file": name})
    return FileResponse(open(job.directory / name, "rb"), content_type=NDJSON)  # noqa: SIM115


MAX_IMPORT_BYTES = 20 * 1024 * 1024


@fhir_api("POST")
def transaction(request: HttpRequest, caller) -> HttpResponse:
    """POST [base] with a transaction Bundle: the import of another system's records."""
    if caller.token is None:
        return outcome(401, "login", "import needs a Bearer token with the user/*.write scope",
                       WWW_Authenticate='Bearer realm="acuback"')
    caller.require(Scope.WRITE)
    if len(request.body) > MAX_IMPORT_BYTES:
        return outcome(413, "too-costly", f"a Bundle may be at most "
                                          f"{MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    try:
        bundle = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as error:
        return outcome(400, "structure", f"the body is not JSON: {error}")
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

