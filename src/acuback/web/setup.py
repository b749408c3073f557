"""`acuback setup`: a new clinic, its locations, its first clinic admin and its starting
content (consent forms, appointment types, fee schedule, questionnaire schedule), in one
transaction from one description (a dict: read from a TOML or JSON file, from flags, or
asked for interactively by the command). Everything after this is done in the
application's clinic administration pages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from acuback.accounts.models import Clinic, Location, Membership, Role, User
from acuback.accounts.services import password_link
from acuback.audit.services import audit_record
from acuback.billing.models import FeeSchedule
from acuback.clinical import cpt
from acuback.outcomes import schedule as outcome_schedule
from acuback.outcomes.models import OutcomeSchedule
from acuback.patients.services import consent_form_publish
from acuback.scheduling.models import AppointmentType

# The clinic's appointment types when the description names none (the kinds the calendar
# and the outcome schedule know; lengths are the demo clinic's, a project choice).
DEFAULT_APPOINTMENT_TYPES = (
    {"name": "Initial assessment", "kind": "initial", "duration_minutes": 60,
     "buffer_minutes": 10},
    {"name": "Follow-up treatment", "kind": "follow_up", "duration_minutes": 45,
     "buffer_minutes": 10},
    {"name": "Re-evaluation", "kind": "re_evaluation", "duration_minutes": 45,
     "buffer_minutes": 10},
)


class SetupError(Exception):
    """The description is incomplete or invalid; the message names the entry."""


@dataclass
class SetupResult:
    clinic: Clinic
    admin: User
    password_link: str | None  # when no password was given: the admin's link to choose one
    warnings: list[str]


def _model(instance, where: str):
    try:
        instance.full_clean()
    except ValidationError as error:
        details = "; ".join(f"{field}: {' '.join(msgs)}"
                            for field, msgs in error.message_dict.items())
        raise SetupError(f"{where}: {details}") from None
    instance.save()
    return instance


def _build(model, fields: dict, where: str):
    """An unsaved `model` from a description's entry; an unknown key is named."""
    known = {f.name for f in model._meta.get_fields()}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise SetupError(f"{where}: unknown entry {', '.join(unknown)}.")
    return model(**fields)


def _need(section: dict, key: str, where: str):
    value = section.get(key)
    if value in (None, ""):
        raise SetupError(f"{where}.{key} is required.")
    return value


def clinic_setup(spec: dict, *, admin_password: str | None = None) -> SetupResult:
    """Create everything `spec` describes, or nothing (one transaction)."""
    warnings: list[str] = []
    clinic_spec = spec.get("clinic") or {}
    admin_spec = spec.get("admin") or {}
    locations = spec.get("locations") or []
    if not locations:
        raise SetupError("locations: give at least one location.")
    with transaction.atomic():
        slug = _need(clinic_spec, "slug", "clinic")
        if Clinic.objects.filter(slug=slug).exists():
            raise SetupError(f"clinic.slug: a clinic '{slug}' already exists.")
        clinic = _model(Clinic(
            name=_need(clinic_spec, "name", "clinic"), slug=slug,
            time_zone=_need(clinic_spec, "time_zone", "clinic"),
            phone=clinic_spec.get("phone", ""), email=clinic_spec.get("email", ""),
            **{k: clinic_spec[k] for k in ("reminder_hours_before", "cancellation_notice_hours",
                                           "record_retention_years") if k in clinic_spec},
        ), "clinic")
        for n, loc in enumerate(locations, 1):
            _model(_build(Location, {
                "time_zone": clinic.time_zone, **loc, "clinic": clinic,
                "jurisdiction": str(loc.get("jurisdiction", "")).strip().upper()},
                f"locations[{n}]"), f"locations[{n}]")
        admin = _first_admin(clinic, admin_spec, admin_password)
        for n, form in enumerate(spec.get("consent_forms") or [], 1):
            where = f"consent_forms[{n}]"
            try:
                consent_form_publish(clinic=clinic, kind=_need(form, "kind", where),
                                     version=str(form.get("version", "1")),
                                     title=_need(form, "title", where),
                                     body=_need(form, "body", where), request=None)
            except ValidationError as error:
                raise SetupError(f"{where}: {'; '.join(error.messages)}") from None
        if not spec.get("consent_forms"):
            warnings.append("No consent forms: patients cannot sign a consent until a "
                            "platform operator loads your forms (run setup with them).")
        for n, type_ in enumerate(spec.get("appointment_types") or DEFAULT_APPOINTMENT_TYPES,
                                  1):
            _model(_build(AppointmentType, {**type_, "clinic": clinic},
                          f"appointment_types[{n}]"), f"appointment_types[{n}]")
        fees = spec.get("fees") or {}
        for code, amount in fees.items():
            if str(code).strip().upper() not in cpt.BILLABLE_CODES:
                raise SetupError(f"fees.{code}: not a code the clinic can bill (one of "
                                 f"{', '.join(cpt.BILLABLE_CODES)}).")
            try:
                amount = Decimal(str(amount))
            except InvalidOperation:
                raise SetupError(f"fees.{code}: '{amount}' is not an amount.") from None
            _model(FeeSchedule(clinic=clinic, code=str(code).strip().upper(), amount=amount),
                   f"fees.{code}")
        unpriced = [c for c in cpt.BILLABLE_CODES if c not in {str(k).strip() for k in fees}]
        if unpriced:
            warnings.append(f"No fee for {', '.join(unpriced)}: set them on Billing -> Fee "
                            "schedule before the first superbill.")
        _questionnaire_schedule(clinic, spec.get("questionnaire_schedule") or {})
        audit_record(request=None, action="clinic.setup", clinic=clinic, target=clinic,
                     detail={"locations": len(locations), "admin": admin.username})
    link = None if admin.has_usable_password() else password_link(admin)
    return SetupResult(clinic=clinic, admin=admin, password_link=link, warnings=warnings)


def _first_admin(clinic: Clinic, spec: dict, password: str | None) -> User:
    from django.contrib.auth.password_validation import validate_password

    username = _need(spec, "username", "admin")
    if User.objects.filter(username=username).exists():
        raise SetupError(f"admin.username: '{username}' is taken.")
    admin = User(username=username, email=_need(spec, "email", "admin"),
                 first_name=spec.get("first_name", ""), last_name=spec.get("last_name", ""))
    if password:
        try:
            validate_password(password, admin)
        except ValidationError as error:
            raise SetupError(f"admin password: {' '.join(error.messages)}") from None
        admin.set_password(password)
        # Someone typed it for them: the admin chooses their own at the first log-in, and
        # enrols two-factor then too (as all staff do).
        admin.must_change_password = True
    else:
        admin.set_unusable_password()
    try:
        admin.full_clean(exclude=["password"])
    except ValidationError as error:
        raise SetupError(f"admin: {error.messages[0]}") from None
    admin.save()
    Membership.objects.create(user=admin, clinic=clinic, role=Role.CLINIC_ADMIN)
    return admin


def _questionnaire_schedule(clinic: Clinic, spec: dict) -> None:
    default = outcome_schedule.Schedule()
    row = _build(OutcomeSchedule, {"clinic": clinic, **{
        "baseline": list(default.baseline), "review": list(default.review),
        "discharge": list(default.discharge), "follow_up": list(default.follow_up),
        "review_every_sessions": default.review_every_sessions,
        "review_every_days": default.review_every_days,
        "not_improving_after_sessions": default.not_improving_after_sessions,
        "link_valid_days": default.link_valid_days, **spec}}, "questionnaire_schedule")
    _model(row, "questionnaire_schedule")
