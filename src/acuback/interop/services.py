"""API tokens, authentication of FHIR requests, bundles, and bulk export."""

from __future__ import annotations

import json
import logging
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from acuback.accounts import policy
from acuback.accounts.models import Clinic, Membership, Role
from acuback.audit.services import audit_record

from . import mapping
from .models import (
    MAX_TOKEN_DAYS,
    ApiToken,
    BulkExport,
    BulkExportPart,
    ExportLevel,
    ExportStatus,
    Scope,
    UnexpressibleRecord,
    token_digest,
)
from .resources import KINDS, Include, Kind
from .smart_scopes import ScopeGrant

logger = logging.getLogger(__name__)
TOKEN_PREFIX = "acb_"  # noqa: S105 - a marker that makes leaked tokens findable, not a secret  # nosec
# What each scope needs from the user's role, checked when the token is made and used.
SCOPE_PERMISSION = {Scope.READ: "patient.view", Scope.EXPORT: "admin.site",
                    Scope.WRITE: "admin.site"}


class AuthError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SmartContext:
    """What a SMART app's token adds to its user's access: the scopes it was granted and,
    launched for one patient, that patient (its records only)."""

    grant: ScopeGrant
    patient_id: int | None = None
    own_record: bool = False  # a patient's own record: the portal's copy, signed notes only
    app_name: str = ""


@dataclass(frozen=True)
class Caller:
    """Who is calling the FHIR API: the user, the clinic the call is held to, and scopes."""

    user: object
    clinic_id: int | None
    scopes: frozenset[str]
    token: ApiToken | None = None
    smart: SmartContext | None = None

    @property
    def by_token(self) -> bool:
        """A bearer token (an API token or a SMART app's), not a browser session."""
        return self.token is not None or self.smart is not None

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise AuthError(403, f"this token lacks the scope {scope}")
        # A patient's own app reads their record by the portal's permission.
        permission = "portal.own_record" if self.smart is not None and self.smart.own_record \
            else SCOPE_PERMISSION[scope]
        clinic_ids = policy.clinic_ids_with(self.user, permission)
        if self.clinic_id is not None and self.clinic_id not in clinic_ids or not clinic_ids:
            raise AuthError(403, f"the token's user may no longer use {scope}")

    def require_type(self, resource_type: str, permission: str) -> None:
        """A SMART token reads ("r") or searches ("s") only the types its scopes name."""
        if self.smart is not None and not self.smart.grant.allows(resource_type, permission):
            verb = {"r": "read", "s": "search"}[permission]
            raise AuthError(403, f"this app's scopes do not allow it to {verb} "
                                 f"{resource_type} (ask for {resource_type}.{permission})")

    def kind_for(self, kind: Kind) -> Kind:
        """The resource type as this caller reaches it. A SMART token launched for one
        patient reaches that patient's records only (the other rules unchanged); a
        patient's own token reaches their record as the portal shows it, and nothing
        else."""
        if self.smart is None or self.smart.patient_id is None:
            return kind
        patient_id, own = self.smart.patient_id, self.smart.own_record
        if kind.patient_path is None:
            return replace(kind, source=lambda: kind.source().none()) if own else kind

        def source():
            rows = kind.source().filter(**{kind.patient_path: patient_id})
            if own and kind.name in ("Encounter", "Procedure"):
                rows = rows.filter(status="signed")  # the portal's copy: signed notes only
            return rows
        return replace(kind, source=source,
                       visible=(lambda rows, _user: rows) if own else kind.visible)


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
        if raw.strip().startswith(TOKEN_PREFIX):
            return token_caller(request, raw)
        from .smart import smart_caller  # (smart builds on this module: imported here)

        return smart_caller(request, raw.strip())
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
              links: dict[str, str], issues: list[dict] | None = None,
              included: list[dict] = ()) -> dict:
    """A searchset Bundle; `included` (_include, _revinclude) come with search mode
    "include"; `issues` (records left out, see express) as one OperationOutcome entry with
    search mode "outcome"."""
    entries = [entry(base, r) for r in resources]
    entries += [entry(base, r, "include") for r in included]
    if issues:
        entries.append({"resource": {"resourceType": "OperationOutcome", "issue": issues},
                        "search": {"mode": "outcome"}})
    bundle = {"resourceType": "Bundle", "type": "searchset",
              "timestamp": timezone.now().isoformat(),
              "link": [{"relation": rel, "url": url} for rel, url in links.items()],
              "entry": entries}
    if total is not None:
        bundle["total"] = total
    # Each resource was validated when it was mapped; validating the whole Bundle again
    # would check every resource twice (tests validate the Bundles they receive).
    return mapping._clean(bundle)


def express(kind: Kind, rows, issues: list[dict]) -> list[dict]:
    """Each row as FHIR. A row that cannot be expressed as valid FHIR R4 is left out,
    reported for a person to fix (UnexpressibleRecord) and described in `issues` as a
    warning: one bad record never breaks the rest of a response."""
    resources = []
    for obj in rows:
        try:
            resources.append(mapping.versioned(kind.to_fhir(obj), kind.updated(obj)))
        except mapping.InvalidResource as error:
            issues += unexpressible_report(kind, obj, error)
    return resources


# At most this many resources for one _include or _revinclude of one page; more is refused
# (a project rule: a page of 500 patients' every observation is not one answer).
MAX_INCLUDED = 1000


def included_rows(found: list[Include], rows, user, clinic_id: int | None) -> list[tuple]:
    """(kind, rows) for each _include and _revinclude of one page: what the caller would
    get searching that type (Kind.scoped: the same visibility as a search, never more than
    a read), one query each whatever the page size. Refuses (SearchError) an include
    larger than MAX_INCLUDED."""
    from .search import SearchError

    results = []
    for inc in found:
        if not rows:
            break
        if inc.reverse:  # the source rows whose reference points at a match
            qs = inc.source.scoped(user, clinic_id).filter(
                **{f"{inc.param.path}__in": [row.pk for row in rows]})
        else:  # the rows the matches refer to
            ids = {_referenced_id(row, inc.param.path) for row in rows} - {None}
            qs = inc.target.scoped(user, clinic_id).filter(pk__in=ids)
        found_rows = list(qs[:MAX_INCLUDED + 1])
        if len(found_rows) > MAX_INCLUDED:
            name = "_revinclude" if inc.reverse else "_include"
            raise SearchError(f"{name}={inc.value}: more than {MAX_INCLUDED} resources for "
                              "this page; ask for a smaller page (_count)")
        results.append((inc.source if inc.reverse else inc.target, found_rows))
    return results


def _referenced_id(row, path: str):
    return row.pk if path == "pk" else getattr(row, row._meta.get_field(path).attname)


# How many listed rows a search re-tries to count exactly (they are rare: each is one for
# the clinic admin to correct); past it, the rest are counted as still unexpressible.
MAX_RECHECK = 100


def expressible_count(kind: Kind, qs) -> tuple[int, set[int]]:
    """(how many matching rows can be sent, the ids of those that cannot). The rows listed
    as unexpressible are tried again, so one corrected since counts again (and its listing
    is dropped). Two queries, whatever the size of the result."""
    listed = UnexpressibleRecord.objects.filter(resource_type=kind.name).values("record_id")
    candidates = list(qs.filter(pk__in=listed)[:MAX_RECHECK + 1])
    bad = set()
    for obj in candidates[:MAX_RECHECK]:
        try:
            kind.to_fhir(obj)
        except mapping.InvalidResource:
            bad.add(obj.pk)
    corrected = {obj.pk for obj in candidates[:MAX_RECHECK]} - bad
    if corrected:
        UnexpressibleRecord.objects.filter(resource_type=kind.name,
                                           record_id__in=corrected).delete()
    unchecked = qs.filter(pk__in=listed).count() - MAX_RECHECK \
        if len(candidates) > MAX_RECHECK else 0
    return qs.count() - len(bad) - unchecked, bad


def newly_left_out(rows, resources: list[dict], known_bad: set[int]) -> int:
    """How many rows of a page `express` left out that were not known to be unexpressible."""
    sent = {r["id"] for r in resources}
    return len({obj.pk for obj in rows if str(obj.pk) not in sent} - known_bad)


def unexpressible_report(kind: Kind, obj, error: mapping.InvalidResource) -> list[dict]:
    """Record the problem for the clinic admin; the warning issues for the response."""
    label = f"{kind.name}/{obj.pk}"
    problem = "; ".join(f"{where}: {what}" for where, what in error.issues)
    logger.warning("FHIR: %s cannot be expressed (%s); left out", label, problem)
    UnexpressibleRecord.objects.update_or_create(
        resource_type=kind.name, record_id=obj.pk,
        defaults={"clinic_id": _clinic_id(kind, obj), "problem": problem})
    return error.operation_issues(
        "warning", prefix=f"{label} is left out: it cannot be sent as valid FHIR R4 and has "
                          "been reported to the clinic admin for correction: ")


def _clinic_id(kind: Kind, obj) -> int:
    *path, last = kind.clinic_path.split("__")
    for name in path:
        obj = getattr(obj, name)
    return obj.pk if last == "pk" else getattr(obj, f"{last}_id")


def unexpressible_list(*, clinic_id: int) -> list[UnexpressibleRecord]:
    """The clinic's records the API cannot send; rows corrected since are dropped."""
    current = []
    for report in UnexpressibleRecord.objects.filter(clinic_id=clinic_id):
        kind = KINDS.get(report.resource_type)
        obj = kind.source().filter(pk=report.record_id).first() if kind else None
        try:
            if obj is not None:
                kind.to_fhir(obj)
            report.delete()  # corrected (or gone): nothing left to fix
        except mapping.InvalidResource:
            current.append(report)
    return current


def everything(*, patient, user=None, clinic_id: int | None = None,
               issues: list[dict] | None = None) -> list[dict]:
    """Every resource about one patient (FHIR Patient/$everything), the patient first,
    then the clinic, the practitioners and locations they met, and the clinical record.
    user=None is the patient's own copy (the portal has checked it is theirs); for staff
    the caller has decided the access to the clinical record (``care.clinical_access``),
    and what the user's role opens is included. Records that cannot be expressed are left
    out and described in `issues`."""
    from acuback.accounts.models import Location, Practitioner

    issues = [] if issues is None else issues
    resources = [*express(KINDS["Patient"], [patient], issues),
                 *express(KINDS["Organization"], [patient.clinic], issues)]
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
            rows = kind.in_clinics(user, clinic_id).filter(**{kind.patient_path: patient.pk})
        rows = list(rows)
        clinical += express(kind, rows, issues)
        for obj in rows:
            practitioner_ids.add(getattr(obj, "practitioner_id", None))
            location_ids.add(getattr(obj, "location_id", None))
    resources += express(KINDS["Practitioner"], Practitioner.objects.filter(
        pk__in=practitioner_ids - {None}).prefetch_related("credentials"), issues)
    resources += express(KINDS["Location"],
                         Location.objects.filter(pk__in=location_ids - {None}), issues)
    return resources + clinical


def everything_bundle(*, patient, base: str, self_url: str, user=None,
                      clinic_id: int | None = None) -> dict:
    """$everything as a searchset Bundle (the API's and the portal's download alike)."""
    issues: list[dict] = []
    resources = everything(patient=patient, user=user, clinic_id=clinic_id, issues=issues)
    return searchset(base=base, resources=resources, total=len(resources),
                     links={"self": self_url}, issues=issues)


# --- bulk export ---------------------------------------------------------------------------

def export_types(level: str) -> list[str]:
    """What an export of that level holds by default and may be asked for: everything at
    system level; the patient compartment (the patients and their records) otherwise."""
    if level == ExportLevel.SYSTEM:
        return list(KINDS)
    return [name for name, kind in KINDS.items() if kind.patient_path is not None]


def in_group(patient_path: str, group_id: int) -> Q:
    """A Group here is a practitioner's patients: those with a session or an appointment
    with the practitioner (Group/{practitioner id}). Rows whose patient is in it."""
    from acuback.scheduling.models import Appointment
    from acuback.treatment.models import Session

    return (Q(**{f"{patient_path}__in": Session.objects.filter(
        practitioner_id=group_id).values("patient_id")})
        | Q(**{f"{patient_path}__in": Appointment.objects.filter(
            practitioner_id=group_id).values("patient_id")}))


def export_request(*, caller: Caller, types: list[str], since: datetime | None,
                   request: HttpRequest, level: str = ExportLevel.SYSTEM,
                   group=None) -> BulkExport:
    caller.require(Scope.EXPORT)
    job = BulkExport.objects.create(
        clinic_id=caller.clinic_id, requested_by=caller.user, level=level, group=group,
        request_url=request.build_absolute_uri(), types=types or export_types(level),
        since=since)
    audit_record(request=request, action="fhir.export.request", clinic=caller.clinic_id,
                 target=job, detail={"types": job.types, "since": since and since.isoformat(),
                                     "level": level, "group": group and group.pk})
    from .tasks import bulk_export_run

    bulk_export_run.enqueue(job.pk)
    return job


def export_restart(job_id: int) -> None:
    """An export whose worker stopped mid-way (killed, or the database went away under
    it) starts again from the beginning when its task runs again: what it wrote is
    dropped, so a file never holds a half-written type twice."""
    with transaction.atomic():
        if BulkExport.objects.filter(pk=job_id, status=ExportStatus.RUNNING).update(
                status=ExportStatus.QUEUED, transaction_time=None,
                progress="restarted: the worker running it stopped"):
            BulkExportPart.objects.filter(export_id=job_id).delete()


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
    issues: list[dict] = []
    type_name = ""
    try:
        for n, type_name in enumerate(job.types, 1):
            kind = KINDS[type_name]
            count = _export_kind(job, kind, issues)
            if count:
                output.append({"type": type_name, "file": f"{type_name}.ndjson", "count": count})
            BulkExport.objects.filter(pk=job.pk).update(
                progress=f"{n} of {len(job.types)} resource types")
            job.refresh_from_db(fields=["status"])
            if job.status == ExportStatus.CANCELLED:
                return job
        if issues:  # the Bulk Data manifest's "error" files: one OperationOutcome a line
            with _PartWriter(job, ERROR_FILE) as out:
                for issue in issues:
                    out.write(json.dumps({"resourceType": "OperationOutcome",
                                          "issue": [issue]}, separators=(",", ":")) + "\n")
            output.append({"type": "OperationOutcome", "file": ERROR_FILE,
                           "count": len(issues), "error": True})
    except Exception as error:  # recorded on the job for the status poll, then re-raised
        # The caller reads this: what failed, not the internals (the log has those); a
        # full or read-only disk is said as such, for the operator to act on.
        logger.exception("FHIR export %s failed at %s", job.pk, type_name)
        where = type_name or "the export"
        BulkExport.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, finished_at=timezone.now(),
            error=(f"could not write {where}: {error.strerror or 'a file system error'}"
                   if isinstance(error, OSError) else
                   f"an internal error while writing {where}; it has been logged for the "
                   "operator"))
        # Files of patient data no one can download are not kept.
        BulkExportPart.objects.filter(export=job).delete()
        raise
    BulkExport.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE, output=output, finished_at=timezone.now(), progress="done")
    job.refresh_from_db()
    return job


def export_folders_prune(*, older_than: datetime) -> int:
    """Remove the files of exports finished (or failed, or cancelled) before `older_than`
    (their parts in the database, and any folder an older version left on disk); the job
    rows stay, for the audit log that names them. Returns how many exports lost files."""
    ended = (BulkExport.objects.exclude(status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING))
             .filter(Q(finished_at__lt=older_than)
                     | Q(finished_at__isnull=True, created_at__lt=older_than)))
    removed = set(BulkExportPart.objects.filter(export__in=ended)
                  .values_list("export_id", flat=True).distinct())
    BulkExportPart.objects.filter(export_id__in=removed).delete()
    root = settings.DATA_DIR / "exports"
    if root.exists():
        owners = {str(pk): status for pk, status in BulkExport.objects.values_list("pk", "status")}
        for folder in (p for p in root.iterdir() if p.is_dir()):
            if owners.get(folder.name) in (ExportStatus.QUEUED, ExportStatus.RUNNING):
                continue
            if datetime.fromtimestamp(folder.stat().st_mtime, tz=UTC) < older_than:
                shutil.rmtree(folder, ignore_errors=True)
                if folder.name.isdigit():
                    removed.add(int(folder.name))
    return len(removed)


def export_file_exists(job: BulkExport, name: str) -> bool:
    return BulkExportPart.objects.filter(export=job, file=name).exists()


def export_file_lines(job: BulkExport, name: str) -> Iterator[str]:
    """The file's text, part by part: one part (about a mebibyte) in memory at a time,
    each read on its own so no cursor stays open while the client downloads."""
    parts = list(BulkExportPart.objects.filter(export=job, file=name).order_by("part")
                 .values_list("pk", flat=True))
    for pk in parts:
        yield BulkExportPart.objects.values_list("lines", flat=True).get(pk=pk)


class _PartWriter:
    """Writes an export file as parts of whole lines of about PART_CHARS characters."""

    PART_CHARS = 1 << 20

    def __init__(self, job: BulkExport, name: str):
        self.job, self.name, self.part, self.size = job, name, 0, 0
        self.buffer: list[str] = []

    def __enter__(self) -> _PartWriter:
        return self

    def write(self, text: str) -> None:
        self.buffer.append(text)
        self.size += len(text)
        if self.size >= self.PART_CHARS and text.endswith("\n"):
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            BulkExportPart.objects.create(export=self.job, file=self.name, part=self.part,
                                          lines="".join(self.buffer))
            self.part, self.buffer, self.size = self.part + 1, [], 0

    def __exit__(self, kind, *_) -> None:
        if kind is None:
            self.flush()


ERROR_FILE = "errors.ndjson"


def _export_kind(job: BulkExport, kind: Kind, issues: list[dict]) -> int:
    qs = kind.scoped(job.requested_by, job.clinic_id)
    if job.level == ExportLevel.GROUP:
        qs = qs.filter(in_group(kind.patient_path, job.group_id))
    if job.since is not None:
        qs = qs.filter(**{f"{kind.updated_field}__gte": job.since})
    count = 0
    with _PartWriter(job, f"{kind.name}.ndjson") as out:
        for obj in qs.iterator(chunk_size=500):
            for resource in express(kind, [obj], issues):
                out.write(json.dumps(resource, separators=(",", ":")))
                out.write("\n")
                count += 1
    return count
