"""Writes to patient records. Each is one transaction and leaves an audit event."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from acuback import signing
from acuback.accounts import policy, zones
from acuback.accounts.models import Clinic
from acuback.audit.services import audit_record

from .models import (
    Consent,
    ConsentForm,
    CorrectionRequest,
    CorrectionStatus,
    EpisodeOfCare,
    EpisodeStatus,
    Patient,
)
from .selectors import patient_search


class StaleEditError(Exception):
    """The record changed since the editor loaded it."""


class ConsentError(Exception):
    pass


def _next_mrn(clinic: Clinic) -> str:
    """The clinic's next free numeric MRN (called inside a transaction)."""
    return next_mrns(clinic, 1)[0]


def next_mrns(clinic: Clinic, count: int) -> list[str]:
    """The clinic's next `count` free numeric MRNs (called inside a transaction).

    The counter row is bumped with an UPDATE, which locks it until commit, so
    two registrations at once never take the same number; an import takes its
    whole block with one UPDATE.
    """
    found: list[str] = []
    while len(found) < count:
        need = count - len(found)
        Clinic.objects.filter(pk=clinic.pk).update(mrn_counter=F("mrn_counter") + need)
        top = Clinic.objects.values_list("mrn_counter", flat=True).get(pk=clinic.pk)
        candidates = [str(n) for n in range(top - need + 1, top + 1)]
        taken: set[str] = set()
        for start in range(0, len(candidates), 500):  # within SQLite's bound variables
            taken.update(Patient.objects.filter(clinic=clinic, mrn__in=candidates[
                start:start + 500]).values_list("mrn", flat=True))
        found += [c for c in candidates if c not in taken]
    return found


def patient_create(*, clinic: Clinic, data: dict, request: HttpRequest) -> Patient:
    fields = dict(data)
    fields.pop("version", None)
    for attempt in range(3):
        try:
            with transaction.atomic():
                if not fields.get("mrn"):
                    fields["mrn"] = _next_mrn(clinic)
                patient = Patient.objects.create(clinic=clinic, **fields)
                audit_record(request=request, action="patient.create", patient=patient,
                             target=patient)
                return patient
        except IntegrityError:
            # Two registrations raced for the same generated MRN: take the next one.
            if data.get("mrn") or attempt == 2:
                raise
            fields["mrn"] = ""
    raise AssertionError("unreachable")


def patient_update(
    *, patient: Patient, data: dict, expected_version: int | None, request: HttpRequest
) -> Patient:
    fields = dict(data)
    fields.pop("version", None)
    # Compare with the stored row: a bound ModelForm has already written the
    # new values onto `patient`.
    stored = Patient.objects.get(pk=patient.pk)
    if not fields.get("mrn"):
        fields["mrn"] = stored.mrn
    changed = sorted(k for k, v in fields.items() if getattr(stored, k) != v)
    with transaction.atomic():
        version = patient.version if expected_version is None else expected_version
        updated = Patient.objects.filter(pk=patient.pk, version=version).update(
            **fields, version=version + 1, updated_at=timezone.now()
        )
        if not updated:
            raise StaleEditError(
                "Someone else changed this patient while you were editing. "
                "Reload the page to see their changes, then make yours again."
            )
        audit_record(request=request, action="patient.update", patient=patient, target=patient,
                     detail={"fields": changed})
    patient.refresh_from_db()
    return patient


def consent_record(
    *,
    patient: Patient,
    form: ConsentForm,
    signature_name: str,
    signed_by_representative: bool,
    request: HttpRequest,
) -> Consent:
    if form.clinic_id != patient.clinic_id or not form.is_current:
        raise ConsentError("That consent form is not a current form of this patient's clinic.")
    minor = patient.signer_problem(signed_by_representative, zones.today_at(patient.clinic))
    if minor:
        raise ConsentError(minor)
    with transaction.atomic(), signing.signing():
        consent = Consent.objects.create(
            patient=patient,
            form=form,
            kind=form.kind,
            version=form.version,
            text_sha256=form.text_sha256,
            signature_name=signature_name,
            signed_by_representative=signed_by_representative,
            signed_at=timezone.now(),
            recorded_by=request.user,
        )
        audit_record(request=request, action="consent.record", patient=patient, target=consent,
                     detail={"kind": form.kind, "version": form.version})
    return consent


def consent_form_publish(*, clinic: Clinic, kind: str, version: str, title: str, body: str,
                         request: HttpRequest | None) -> ConsentForm:
    """A new version of one of the clinic's consent forms becomes the current one. A form
    is never edited: signatures record the hash of the exact text the patient was shown,
    so a changed text is a new version and the old one stays, no longer offered."""
    from django.core.exceptions import ValidationError

    with transaction.atomic():
        if ConsentForm.objects.filter(clinic=clinic, kind=kind, version=version).exists():
            raise ValidationError({"version": "This version exists: give the new text a new "
                                              "version."})
        retired = list(ConsentForm.objects.select_for_update().filter(
            clinic=clinic, kind=kind, is_current=True).values_list("version", flat=True))
        ConsentForm.objects.filter(clinic=clinic, kind=kind, is_current=True) \
            .update(is_current=False)
        form = ConsentForm(clinic=clinic, kind=kind, version=version, title=title, body=body,
                           is_current=True)
        form.full_clean()
        form.save()
        audit_record(request=request, action="consent_form.publish", clinic=clinic,
                     target=form, detail={"kind": kind, "version": version,
                                          "replaces": retired, "sha256": form.text_sha256})
    return form


def consent_withdraw(*, consent: Consent, reason: str, request: HttpRequest) -> Consent:
    with transaction.atomic():
        now = timezone.now()
        updated = Consent.objects.filter(pk=consent.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_by=request.user, withdrawal_reason=reason,
            updated_at=now)
        if not updated:
            raise ConsentError("This consent has already been withdrawn.")
        audit_record(request=request, action="consent.withdraw", patient=consent.patient,
                     target=consent, detail={"reason": reason})
    consent.refresh_from_db()
    return consent


def episode_save(*, patient: Patient, data: dict, request: HttpRequest,
                 episode: EpisodeOfCare | None = None,
                 expected_version: int | None = None) -> EpisodeOfCare:
    """Open a new episode (episode=None) or update one; conflicting edits are refused."""
    with transaction.atomic():
        if episode is None:
            episode = EpisodeOfCare.objects.create(
                patient=patient, opened_on=zones.today_at(patient.clinic), created_by=request.user,
                **data)
            action = "episode.open"
        else:
            if data.get("status") == EpisodeStatus.DISCHARGED:
                data.setdefault("discharged_on",
                                episode.discharged_on or zones.today_at(patient.clinic))
            elif "status" in data:
                data["discharged_on"] = None
            # A partial date (year or month, from an import) stays partial until someone
            # enters another date in its place.
            precision = {name: p for name, p in episode.date_precision.items()
                         if data.get(name, getattr(episode, name)) == getattr(episode, name)}
            if precision != episode.date_precision:
                data["date_precision"] = precision
            version = episode.version if expected_version is None else expected_version
            updated = EpisodeOfCare.objects.filter(pk=episode.pk, version=version).update(
                **data, version=version + 1, updated_at=timezone.now())
            if not updated:
                raise StaleEditError("Someone else changed this episode while you were editing. "
                                     "Reload the page and make your changes again.")
            action = "episode.update"
        audit_record(request=request, action=action, patient=patient, target=episode)
    episode.refresh_from_db()
    return episode


class RecordRequestRefused(Exception):
    """An archive or correction answer that cannot be recorded; the message says why."""


def patient_archive(*, patient: Patient, reason: str, request: HttpRequest) -> Patient:
    """Hide a patient from lists and booking. Nothing is deleted."""
    if not reason.strip():
        raise RecordRequestRefused("Give the reason for archiving.")
    with transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(
            archived_at=timezone.now(), archived_by=request.user,
            archive_reason=reason.strip()[:300], version=F("version") + 1)
        audit_record(request=request, action="patient.archive", patient=patient,
                     target=patient, detail={"reason": reason.strip()[:300]})
    patient.refresh_from_db()
    return patient


def patient_restore(*, patient: Patient, request: HttpRequest) -> Patient:
    with transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(archived_at=None, archived_by=None,
                                                     archive_reason="",
                                                     version=F("version") + 1)
        audit_record(request=request, action="patient.restore", patient=patient,
                     target=patient)
    patient.refresh_from_db()
    return patient


def correction_request_create(*, patient: Patient, text: str,
                              request: HttpRequest) -> CorrectionRequest:
    with transaction.atomic():
        correction = CorrectionRequest.objects.create(patient=patient, text=text.strip())
        audit_record(request=request, action="correction.request", patient=patient,
                     target=correction)
    return correction


def correction_respond(*, correction: CorrectionRequest, status: str, response: str,
                       request: HttpRequest) -> CorrectionRequest:
    """Accept (the record has been corrected) or decline with the reason; answered once."""
    if status not in (CorrectionStatus.ACCEPTED, CorrectionStatus.DECLINED):
        raise RecordRequestRefused("Choose accept or decline.")
    if status == CorrectionStatus.DECLINED and not response.strip():
        raise RecordRequestRefused("Say why the request is declined: the patient is told.")
    with transaction.atomic():
        updated = CorrectionRequest.objects.filter(
            pk=correction.pk, status=CorrectionStatus.OPEN).update(
            status=status, response=response.strip(), responded_at=timezone.now(),
            responded_by=request.user)
        if not updated:
            raise RecordRequestRefused("This request was already answered.")
        audit_record(request=request, action="correction.respond", patient=correction.patient,
                     target=correction, detail={"status": status})
    correction.refresh_from_db()
    return correction


# Patients offered while typing: a phone screen's worth (a project rule).
SEARCH_SUGGESTIONS = 10


def patient_matches(request: HttpRequest, query: str, *, via: str) -> list[Patient]:
    """The first patients matching ``query`` the user may see (``patient_search``, not
    archived), the search audited as the list's is. For the booking page's finder and
    its as-you-type endpoint."""
    found = list(patient_search(user=request.user, query=query)
                 .order_by("family_name", "given_name", "pk")[:SEARCH_SUGGESTIONS])
    audit_record(request=request, action="patient.search",
                 clinic=policy.home_clinic(request.user),
                 detail={"query": query, "shown": len(found), "via": via})
    return found
