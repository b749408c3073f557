"""API tokens, authentication of FHIR requests, bundles, and bulk export."""

from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from acuback.accounts import policy
from acuback.accounts.models import Clinic, Membership, Role
from acuback.audit.services import audit_record

from . import mapping
from .models import ApiToken, BulkExport, ExportStatus, Scope, token_digest
from .resources import KINDS, Kind

TOKEN_PREFIX = "acb_"  # noqa: S105 - a marker that makes leaked tokens findable, not a secret  # nosec
MAX_TOKEN_DAYS = 365
# What each scope needs from the user's role, checked when the token is made and used.
SCOPE_PERMISSION = {Scope.READ: "patient.view", Scope.EXPORT: "admin.site",
                    Scope.WRITE: "admin.site"}


class AuthError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Caller:
    """Who is calling the FHIR API: the user, the clinic the call is held to, and scopes."""

    user: object
    clinic_id: int | None
    scopes: frozenset[str]
    token: ApiToken | None = None

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise AuthError(403, f"this token lacks the scope {scope}")
        clinic_ids = policy.clinic_ids_with(self.user, SCOPE_PERMISSION[scope])
        if self.clinic_id is not None and self.clinic_id not in clinic_ids or not clinic_ids:
            raise AuthError(403, f"the token's user may no longer use {scope}")


def token_create(*, clinic: Clinic, user, name: str, scopes: list[str], days: int,
                 request: HttpRequest) -> tuple[ApiToken, str]:
    """Make a token; returns it with the secret, which is not stored and shown once."""
    errors = {}
    if not name.strip():
        errors["name"] = "Say what the token is for."
    if not scopes:
        errors["scopes"] = "Choose at least one scope."
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        errors["scopes"] = f"Unknown scope: {', '.join(sorted(unknown))}."
    if not 1 <= days <= MAX_TOKEN_DAYS:
        errors["days"] = f"A token lasts between 1 and {MAX_TOKEN_DAYS} days."
    if not Membership.objects.filter(user=user, clinic=clinic).exclude(
            role=Role.PATIENT).exists():
        errors["user"] = "Tokens are for staff of this clinic."
    for scope in set(scopes) & set(Scope.values):
        if not policy.can(user, SCOPE_PERMISSION[scope], clinic):
            errors["scopes"] = (f"{user.username} may not use {scope} "
                                f"({Scope(scope).label.lower()}).")
    if errors:
        raise ValidationError(errors)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            clinic=clinic, user=user, name=name.strip(), digest=token_digest(raw),
            prefix=raw[:10], scopes=sorted(set(scopes)), created_by=request.user,
            expires_at=timezone.now() + timedelta(days=days))
        audit_record(request=request, action="api_token.create", clinic=clinic, target=token,
                     detail={"user": user.username, "scopes": token.scopes, "days": days})
    return token, raw


def token_revoke(*, token: ApiToken, request: HttpRequest) -> ApiToken:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
        audit_record(request=request, action="api_token.revoke", clinic=token.clinic,
                     target=token)
    return token


def token_caller(request: HttpRequest, raw: str) -> Caller:
    """The caller a bearer token stands for, or AuthError saying why not. The one place
    that decides whether a token may be used (FHIR API and JSON API alike)."""
    token = (ApiToken.objects.select_related("user", "clinic")
             .filter(digest=token_digest(raw.strip())).first())
    if token is None:
        raise AuthError(401, "unknown token")
    if token.revoked_at is not None:
        raise AuthError(401, "this token was revoked")
    if token.expires_at <= timezone.now():
        raise AuthError(401, "this token has expired")
    if not token.user.is_active:
        raise AuthError(401, "this token's user is inactive")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    request.user = token.user  # the audit trail names the token's user
    return Caller(token.user, token.clinic_id, frozenset(token.scopes), token)


def authenticate(request: HttpRequest) -> Caller:
    """A Bearer token, or, for reading only, the browser session of a logged-in user."""
    header = request.headers.get("Authorization", "")
    if header:
        kind, _, raw = header.partition(" ")
        if kind.lower() != "bearer" or not raw.strip():
            raise AuthError(401, "use 'Authorization: Bearer <token>'")
        return token_caller(request, raw)
    if request.user.is_authenticated and request.method in ("GET", "HEAD"):
        return Caller(request.user, None, frozenset({Scope.READ}))
    raise AuthError(401, "authentication required: a Bearer token (or a logged-in session "
                         "for reading)")


# --- bundles -------------------------------------------------------------------------------

def entry(base: str, resource: dict, mode: str | None = "match") -> dict:
    result = {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
              "resource": resource}
    if mode:
        result["search"] = {"mode": mode}
    return result


def searchset(*, base: str, resources: list[dict], total: int | None,
              links: dict[str, str]) -> dict:
    bundle = {"resourceType": "Bundle", "type": "searchset",
              "timestamp": timezone.now().isoformat(),
              "link": [{"relation": rel, "url": url} for rel, url in links.items()],
              "entry": [entry(base, r) for r in resources]}
    if total is not None:
        bundle["total"] = total
    # Each resource was validated when it was mapped; validating the whole Bundle again
    # would check every resource twice (tests validate the Bundles they receive).
    return mapping._clean(bundle)


def everything(*, patient, user=None, clinic_id: int | None = None) -> list[dict]:
    """Every resource about one patient (FHIR Patient/$everything), the patient first,
    then the clinic, the practitioners and locations they met, and the clinical record.
    user=None is the patient's own copy (the portal has checked it is theirs)."""
    from acuback.accounts.models import Location, Practitioner

    resources = [mapping.patient(patient), mapping.organization(patient.clinic)]
    practitioner_ids: set[int] = set()
    location_ids: set[int] = set()
    clinical: list[dict] = []
    for kind in KINDS.values():
        if kind.patient_path in (None, "pk"):
            continue
        if user is None:  # the patient's copy: signed notes only, as in the portal record
            rows = kind.of_patient(patient.pk)
            if kind.name in ("Encounter", "Procedure"):
                rows = rows.filter(status="signed")
        else:
            rows = kind.scoped(user, clinic_id).filter(**{kind.patient_path: patient.pk})
        for obj in rows:
            clinical.append(kind.to_fhir(obj))
            practitioner_ids.add(getattr(obj, "practitioner_id", None))
            location_ids.add(getattr(obj, "location_id", None))
    for pr in (Practitioner.objects.filter(pk__in=practitioner_ids - {None})
               .prefetch_related("credentials")):
        resources.append(mapping.practitioner(pr, list(pr.credentials.all())))
    for loc in Location.objects.filter(pk__in=location_ids - {None}):
        resources.append(mapping.location(loc))
    return resources + clinical


# --- bulk export ---------------------------------------------------------------------------

def export_request(*, caller: Caller, types: list[str], since: datetime | None,
                   request: HttpRequest) -> BulkExport:
    caller.require(Scope.EXPORT)
    job = BulkExport.objects.create(
        clinic_id=caller.clinic_id, requested_by=caller.user,
        request_url=request.build_absolute_uri(), types=types or list(KINDS), since=since)
    audit_record(request=request, action="fhir.export.request", clinic=caller.clinic_id,
                 target=job, detail={"types": job.types, "since": since and since.isoformat()})
    from .tasks import bulk_export_run

    bulk_export_run.enqueue(job.pk)
    return job


def export_run(job: BulkExport) -> BulkExport:
    """Write one NDJSON file per resource type; each line is a validated resource."""
    # Claimed in one conditional UPDATE: a second worker (or a stale copy of the job) finds
    # it no longer queued and leaves it alone.
    started = timezone.now()
    if not BulkExport.objects.filter(pk=job.pk, status=ExportStatus.QUEUED).update(
            status=ExportStatus.RUNNING, transaction_time=started):
        job.refresh_from_db()
        return job
    job.status, job.transaction_time = ExportStatus.RUNNING, started
    output = []
    try:
        job.directory.mkdir(parents=True, exist_ok=True)  # a full disk fails the job too
        for n, type_name in enumerate(job.types, 1):
            kind = KINDS[type_name]
            count = _export_kind(job, kind)
            if count:
                output.append({"type": type_name, "file": f"{type_name}.ndjson", "count": count})
            BulkExport.objects.filter(pk=job.pk).update(
                progress=f"{n} of {len(job.types)} resource types")
            job.refresh_from_db(fields=["status"])
            if job.status == ExportStatus.CANCELLED:
                return job
    except Exception as error:  # recorded on the job for the status poll, then re-raised
        BulkExport.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED,
                                                    error=str(error)[:2000],
                                                    finished_at=timezone.now())
        # Files of patient data no one can download are not kept.
        shutil.rmtree(job.directory, ignore_errors=True)
        raise
    BulkExport.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE, output=output, finished_at=timezone.now(), progress="done")
    job.refresh_from_db()
    return job


def export_folders_prune(*, older_than: datetime) -> int:
    """Remove the files of exports finished (or failed, or cancelled) before `older_than`,
    and folders no job owns; the job rows stay, for the audit log that names them."""
    root = settings.DATA_DIR / "exports"
    if not root.exists():
        return 0
    folders = {p.name: p for p in root.iterdir() if p.is_dir()}
    jobs = {str(pk): (status, finished_at or created_at) for pk, status, finished_at, created_at
            in BulkExport.objects.filter(pk__in=[n for n in folders if n.isdigit()])
            .values_list("pk", "status", "finished_at", "created_at")}
    removed = 0
    for name, folder in folders.items():
        status, ended = jobs.get(name, (None, None))
        if status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
            continue
        if ended is None:  # no job owns it: judged by the folder's own age
            ended = datetime.fromtimestamp(folder.stat().st_mtime, tz=UTC)
        if ended < older_than:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _export_kind(job: BulkExport, kind: Kind) -> int:
    qs = kind.scoped(job.requested_by, job.clinic_id)
    if job.since is not None and kind.since_field:
        qs = qs.filter(**{f"{kind.since_field}__gte": job.since})
    count = 0
    path = job.directory / f"{kind.name}.ndjson"
    with open(path, "w", encoding="utf-8") as out:
        for obj in qs.iterator(chunk_size=500):
            out.write(json.dumps(kind.to_fhir(obj), separators=(",", ":")))
            out.write("\n")
            count += 1
    if not count:
        path.unlink()
    return count
