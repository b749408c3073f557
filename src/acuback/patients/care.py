"""The one rule that decides whether a person may see a patient's clinical record
without breaking the glass. Every door asks it: the web pages and PDFs (through
`patients.views._get_patient`), the FHIR API (read, search, $everything, $export), the
JSON API, and the clinical querysets' ``visible_to`` (``clinical_scope``).

- The role must allow the clinical record in the patient's clinic (accounts.policy).
- The clinic admin (the clinical lead) oversees every patient of the clinic.
- A practitioner sees the patients they treat: a care relationship
  (``patients.selectors.has_care_relationship``; a cancelled or no-show appointment
  is not one, nor one booked on the public page until the patient confirmed it from
  the record's own e-mail inbox: anyone who knows the address can fill in that page,
  nor one the practitioner booked with themselves until someone else stands behind
  it: ``vouched_for``).
- Anyone else of the clinical staff breaks the glass on the web (a reason, audited with
  the flag); the grant is that audit event and lasts BREAK_GLASS_HOURS. A FHIR search
  serves what a read serves: the grant included, flagged (``granted_patient_ids``);
  the web's lists show only the usual scope.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from acuback.accounts import policy

BREAK_GLASS_HOURS = 8
# A grant lets one read the record and report what must be reported (an adverse event,
# an addendum): it starts no episode, screening or session. Those made a lasting
# care relationship (patients.selectors), so a grant of 8 hours became one for good.
class GlassStartsNoRecord(PermissionDenied):
    shown_to_user = True  # web.errors.forbidden shows the reason


GLASS_STARTS_NO_RECORD = (
    "You opened this record by breaking the glass: you may read it (and report an "
    "adverse event or add an addendum), but a new episode, screening or session "
    "is started by the patient's treating clinician or the clinical lead.")
GRANT_ACTION = "break_glass"  # the audit action of a grant (patients.views.break_glass)


class Access(enum.Enum):
    NONE = "none"  # the role does not open the clinical record here
    CARE = "care"  # usual scope: the clinical lead, or a care relationship
    GLASS = "glass"  # outside the usual scope, with an unexpired break-the-glass grant
    NEEDS_GLASS = "needs_glass"  # outside the usual scope, no grant: ask for a reason


def grant_since():
    """Grants made after this instant are still in force."""
    return timezone.now() - timedelta(hours=BREAK_GLASS_HOURS)


def clinical_access(user, patient) -> Access:
    """How `user` may see `patient`'s clinical record (at most one query)."""
    from .selectors import care_and_grant

    if not policy.can(user, "patient.view_clinical", patient.clinic_id):
        return Access.NONE
    if not policy.outside_usual_scope(user, patient.clinic_id):
        return Access.CARE
    in_care, granted = care_and_grant(user=user, patient=patient, since=grant_since())
    if in_care:
        return Access.CARE
    return Access.GLASS if granted else Access.NEEDS_GLASS


def granted_patient_ids(user) -> set[int]:
    """The patients whose clinical record `user` reads through an unexpired break-the-glass
    grant (one query): a search serves them as a read does, flagged (issue #30)."""
    from acuback.audit.models import AuditEvent

    return set(AuditEvent.objects.filter(actor=user, action=GRANT_ACTION, at__gte=grant_since(),
                                         patient__isnull=False)
               .values_list("patient_id", flat=True))


def clinical_scope(user, path: str = "patient") -> Q:
    """A filter on the rows (whose patient is at `path`; "" for patients themselves)
    that the user may see without breaking the glass: the clinics they oversee, and in
    the clinics where they treat, the patients they have a care relationship with."""
    clinic_field = f"{path}__clinic_id" if path else "clinic_id"
    patient_field = f"{path}_id" if path else "pk"
    clinics = policy.clinic_ids_with(user, "patient.view_clinical")
    overseen = [c for c in clinics if not policy.outside_usual_scope(user, c)]
    treating = [c for c in clinics if c not in overseen]
    scope = Q(**{f"{clinic_field}__in": overseen})
    if treating:
        scope |= Q(**{f"{clinic_field}__in": treating}) & care_relationship(user,
                                                                           patient_field)
    return scope


def vouched_for(user) -> Q:
    """The appointments of `user` (as practitioner) that someone else stands behind: the
    patient confirmed it, or, unless it came from the public page (anyone who knows the
    address can fill that in), someone else booked it (front desk, a colleague, the
    patient in the portal; no booker: written by the system) or checked the visit in.
    A practitioner who books a patient with themselves opens nothing by it (issue #25).
    The same rule as the appointment clause of ``selectors._CARE_RELATIONSHIP``."""
    from acuback.scheduling.models import BookedVia

    someone_else = (Q(booked_by__isnull=True) | ~Q(booked_by_id=user.pk)
                    | (Q(checked_in_by__isnull=False) & ~Q(checked_in_by_id=user.pk)))
    return Q(patient_confirmed_at__isnull=False) | (~Q(booked_via=BookedVia.PUBLIC)
                                                    & someone_else)


def care_relationship(user, patient_field: str) -> Q:
    """The care relationship as a filter on `patient_field` (a patient id): the same rule
    as ``selectors.has_care_relationship`` (one patient, written in SQL), tested against
    it for each kind of link."""
    from acuback.audit.models import AuditEvent
    from acuback.scheduling.models import ACTIVE_STATUSES, Appointment
    from acuback.screening.models import Screening
    from acuback.treatment.models import Session

    from .models import EpisodeOfCare

    return (
        ~Exists(EpisodeOfCare.objects.filter(patient_id=OuterRef(patient_field)))
        | Q(**{f"{patient_field}__in": Appointment.objects.filter(
            practitioner__user=user, status__in=ACTIVE_STATUSES).filter(
            vouched_for(user)).values("patient_id")})
        | Q(**{f"{patient_field}__in": Session.objects.filter(
            practitioner__user=user).values("patient_id")})
        | Q(**{f"{patient_field}__in": EpisodeOfCare.objects.filter(
            created_by=user).values("patient_id")})
        | Q(**{f"{patient_field}__in": Screening.objects.filter(
            created_by=user).values("episode__patient_id")})
        | Q(**{f"{patient_field}__in": AuditEvent.objects.filter(
            actor=user, action="patient.create").values("patient_id")})
    )

