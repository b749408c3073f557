"""The one place that decides what each role may do.

Every view asks `can(user, permission, clinic)`; every scoped queryset asks
`clinic_ids_with(user, permission)`. To change who may do what, change RULES.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from acuback import sql

from .models import Clinic, Membership, Role

ADMIN, PRACTITIONER, FRONT_DESK, PATIENT = (
    Role.CLINIC_ADMIN,
    Role.PRACTITIONER,
    Role.FRONT_DESK,
    Role.PATIENT,
)

RULES: dict[str, frozenset[str]] = {
    # Demographics and contact details: everyone who serves the patient.
    "patient.view": frozenset({ADMIN, PRACTITIONER, FRONT_DESK}),
    "patient.create": frozenset({ADMIN, PRACTITIONER, FRONT_DESK}),
    "patient.edit": frozenset({ADMIN, PRACTITIONER, FRONT_DESK}),
    # Archiving hides a patient from lists (records are kept); the clinic admin decides.
    "patient.archive": frozenset({ADMIN}),
    # Answering a patient's request to correct their record is clinical work.
    "correction.respond": frozenset({ADMIN, PRACTITIONER}),
    # Clinical record (consent detail, screening, sessions, outcomes): those who
    # treat and the clinic's clinical lead. Front desk sees consent status only.
    "patient.view_clinical": frozenset({ADMIN, PRACTITIONER}),
    "consent.record": frozenset({ADMIN, PRACTITIONER}),
    "consent.withdraw": frozenset({ADMIN, PRACTITIONER}),
    # Episodes, screening and the safety gate.
    "episode.manage": frozenset({ADMIN, PRACTITIONER}),
    "screening.edit": frozenset({ADMIN, PRACTITIONER}),
    "screening.sign": frozenset({PRACTITIONER}),
    "referral.clear": frozenset({PRACTITIONER}),
    "needling.check": frozenset({PRACTITIONER}),
    # Treatment: plans, sessions, addenda, adverse events.
    "plan.manage": frozenset({PRACTITIONER}),
    "session.record": frozenset({PRACTITIONER}),
    "addendum.add": frozenset({PRACTITIONER}),
    "adverse_event.record": frozenset({ADMIN, PRACTITIONER}),
    "adverse_event.acknowledge": frozenset({ADMIN}),
    # Outcomes: entering answers is clinical; sending a link is not.
    "outcome.enter": frozenset({ADMIN, PRACTITIONER}),
    "outcome.send_link": frozenset({ADMIN, PRACTITIONER, FRONT_DESK}),
    "outcome.alert.acknowledge": frozenset({ADMIN, PRACTITIONER}),
    # Scheduling: everyone on the staff sees and books the calendar.
    "schedule.view": frozenset({ADMIN, PRACTITIONER, FRONT_DESK}),
    "schedule.book": frozenset({ADMIN, PRACTITIONER, FRONT_DESK}),
    # Billing: superbills for the patient's staff; claim export for the clinic admin.
    # Both show diagnoses (SHOWS_CLINICAL_DATA): billing needs them.
    "billing.view": frozenset({ADMIN, PRACTITIONER, FRONT_DESK}),
    "billing.export": frozenset({ADMIN}),
    # Patients who pay: invoices, payments, refunds, packages and the day's takings are
    # the front desk's work and the clinic admin's.
    "billing.charge": frozenset({ADMIN, FRONT_DESK}),
    # Practitioner registry: front desk needs it to know who may treat where.
    "registry.view": frozenset({ADMIN, PRACTITIONER, FRONT_DESK}),
    "registry.manage": frozenset({ADMIN}),
    "admin.site": frozenset({ADMIN}),
    # Clinic administration inside the application (staff, settings, audit log).
    "clinic.manage": frozenset({ADMIN}),
    # A patient's own record, through the portal.
    "portal.own_record": frozenset({PATIENT}),
}


# Permissions that open the clinical record (break-the-glass applies to these).
CLINICAL_PERMISSIONS = frozenset(
    name for name, roles in RULES.items()
    if name.startswith(("patient.view_clinical", "episode.", "screening.", "referral.",
                        "needling.", "plan.", "session.", "addendum.", "adverse_event.",
                        "outcome.enter", "outcome.alert", "consent.", "correction."))
)


# Non-clinical permissions whose pages still show clinical data (the superbill and the
# claims lines carry the patient's ICD-10 codes). The role grants them, but a person who
# holds the clinical record only through a care relationship (a practitioner) is asked
# the care rule (patients.care) as for the clinical record; every read is audited.
SHOWS_CLINICAL_DATA = frozenset({"billing.view", "billing.export"})


def outside_usual_scope(user, clinic: Clinic | int) -> bool:
    """Practitioners' usual scope is the patients they treat; the clinic admin (the
    clinical lead) oversees all of the clinic's patients."""
    mine = roles(user, clinic)
    return PRACTITIONER in mine and ADMIN not in mine


def _memberships(user) -> list[tuple[int, str]]:
    """(clinic_id, role) pairs, fetched once per request-scoped user object (with each
    clinic's time zone, which the time-zone middleware asks first)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_acuback_memberships", None)
    if cached is None:
        rows = list(Membership.objects.filter(user=user).order_by("pk")  # joining order
                    .values_list("clinic_id", "role", "clinic__time_zone"))
        cached = [(cid, role) for cid, role, _ in rows]
        user._acuback_memberships = cached
        user._acuback_clinic_zones = {cid: zone for cid, _, zone in rows}
    return cached


def roles(user, clinic: Clinic | int) -> set[str]:
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    return {role for cid, role in _memberships(user) if cid == clinic_id}


def can(user, permission: str, clinic: Clinic | int) -> bool:
    allowed = RULES[permission]  # KeyError on a misspelt permission, on purpose
    return bool(roles(user, clinic) & allowed)


def clinic_ids_with(user, permission: str) -> list[int]:
    allowed = RULES[permission]
    return sorted({cid for cid, role in _memberships(user) if role in allowed})


def can_anywhere(user, permission: str) -> bool:
    return bool(clinic_ids_with(user, permission))


def require(user, permission: str, clinic: Clinic | int) -> None:
    if not can(user, permission, clinic):
        raise PermissionDenied(f"Your role does not allow {permission}.")


def is_staff_member(user) -> bool:
    return any(role != PATIENT for _, role in _memberships(user))


def _staff_clinic_ids(user) -> list[int]:
    return [cid for cid, role in _memberships(user) if role != PATIENT]


def home_clinic(user) -> Clinic | None:
    """The clinic a staff user works in: new patients are registered there.

    A user on the staff of several clinics works in the first they joined
    (docs/decisions/0010-multi-clinic-staff-work-in-the.md: switching clinics is not built yet).
    """
    staff = _staff_clinic_ids(user)
    if not staff:
        return None
    return sql.by_pk(Clinic, staff[0])


def request_clinic_id(user) -> int | None:
    """The clinic a signed-in user's requests belong to (its time zone is the pages'):
    the home clinic of a staff user; for a patient-only account, the first clinic they
    are a patient of. The one rule for "which clinic is this request"."""
    ids = _staff_clinic_ids(user) or [cid for cid, _ in _memberships(user)]
    return ids[0] if ids else None


def request_clinic_zone(user) -> str | None:
    """The time-zone name of ``request_clinic_id``; no query beyond the memberships'."""
    clinic_id = request_clinic_id(user)
    return None if clinic_id is None else user._acuback_clinic_zones.get(clinic_id)


def managed_clinic(user) -> Clinic | None:
    """The clinic whose administration pages the user works in: the first they may manage
    (docs/decisions/0010-multi-clinic-staff-work-in-the.md: switching clinics is not built yet)."""
    ids = [cid for cid, role in _memberships(user) if role in RULES["clinic.manage"]]
    return sql.by_pk(Clinic, ids[0]) if ids else None


def account_change_refusal(actor, account, clinic: Clinic | int) -> str | None:
    """Why `actor` may not change `account` itself (password, e-mail, name, two-factor,
    lockout, whether it is active) on behalf of `clinic`; None when they may.

    An account is the person's, not the clinic's: one that also belongs to another clinic
    (a practitioner who works at two) or is a platform operator's is changed only by its
    owner or a platform operator, never by one clinic's admin. Every clinic-admin action
    on an account asks this one rule."""
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    if getattr(actor, "is_superuser", False) and actor.is_active:
        return None
    if not can(actor, "clinic.manage", clinic_id):
        return "Your role does not allow clinic administration."
    if account.pk == actor.pk:
        return None  # the owner
    if account.is_superuser:
        return "This is a platform operator's account: only a platform operator changes it."
    clinic_ids = set(Membership.objects.filter(user=account).values_list("clinic_id", flat=True))
    if clinic_id not in clinic_ids:
        return "This account does not belong to your clinic."
    if clinic_ids != {clinic_id}:
        return ("This account also belongs to another clinic: only its owner or a platform "
                "operator changes it. You can change its roles in your clinic.")
    return None


def require_account_change(actor, account, clinic: Clinic | int) -> None:
    refusal = account_change_refusal(actor, account, clinic)
    if refusal is not None:
        raise PermissionDenied(refusal)


# Who changes a draft that belongs to one clinician (a session note, a screening, a
# plan): its author, or the supervisor named on the author's practitioner record.
AUTHOR, SUPERVISOR, CLINICAL_LEAD, UNOWNED = "author", "supervisor", "clinical_lead", "unowned"


def draft_editor(user, author_id: int | None, clinic: Clinic | int, *,
                 lead_may_type: bool = False) -> str | None:
    """In what capacity `user` may change a draft written by the user `author_id`:
    AUTHOR (their own), SUPERVISOR (the supervisor named on the author's practitioner
    record), CLINICAL_LEAD (the clinic admin typing answers into a draft, only where the
    caller says so with `lead_may_type`: a screening's answers, never a signature, a plan
    or a session note), UNOWNED (the author treats nobody in this clinic, e.g. the
    clinic admin typing in intake answers: any clinician of the clinic may go on), or
    None (a colleague: they write their own record, or an addendum). The capacity other
    than AUTHOR is recorded with the write. Asked on every save, not only at signing. No
    query for the author's own draft."""
    from .models import Practitioner

    if not getattr(user, "is_authenticated", False) or author_id is None:
        return None
    if user.pk == author_id:
        return AUTHOR
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    if Practitioner.objects.filter(user_id=author_id, clinic_id=clinic_id, is_active=True,
                                   supervisor__user_id=user.pk).exists():
        return SUPERVISOR
    if lead_may_type and ADMIN in roles(user, clinic_id):
        return CLINICAL_LEAD
    if not Membership.objects.filter(user_id=author_id, clinic_id=clinic_id,
                                     role=PRACTITIONER).exists():
        return UNOWNED
    return None
