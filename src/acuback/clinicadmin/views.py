"""Clinic administration: the clinic admin's pages for staff, settings and the audit log.

Each view checks the permission (clinic.manage, and for an account the one rule
policy.account_change_refusal), calls one service and renders. Rows are fetched scoped to
the admin's clinic: another clinic's row is a 404."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from acuback.accounts import policy, services
from acuback.accounts.models import (
    STAFF_ROLES,
    Clinic,
    Location,
    Membership,
    Practitioner,
    Role,
    StaffInvitation,
)
from acuback.accounts.selectors import lockout_of
from acuback.audit import selectors as audit_selectors
from acuback.audit.services import audit_record
from acuback.billing import ncd_list
from acuback.billing import services as billing_services
from acuback.billing.models import FeeSchedule, Payer
from acuback.outcomes.models import OutcomeSchedule
from acuback.outcomes.schedule import Schedule
from acuback.patients import services as patient_services
from acuback.patients.models import ConsentForm
from acuback.scheduling.models import AppointmentType, WeeklyAvailability

from . import forms as admin_forms


def _clinic(request: HttpRequest) -> Clinic:
    """The clinic the user administers, its time zone active for the page; 403 otherwise."""
    clinic = policy.managed_clinic(request.user)
    if clinic is None:
        raise PermissionDenied("Your role does not allow clinic administration.")
    timezone.activate(zoneinfo.ZoneInfo(clinic.time_zone))
    return clinic


def _add_errors(form: forms.BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
@require_http_methods(["GET", "POST"])
def overview(request: HttpRequest) -> HttpResponse:
    """The clinic's own settings (reminders, cancellations, retention) and the sections."""
    clinic = _clinic(request)
    form = admin_forms.ClinicSettingsForm(request.POST or None, instance=clinic)
    if request.method == "POST" and form.is_valid():
        try:
            services.clinic_row_save(clinic=clinic, instance=clinic, data=form.cleaned_data,
                                     action="clinic.settings", request=request)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Clinic settings saved.")
            return redirect("clinic_admin")
    return render(request, "clinicadmin/overview.html", {"clinic": clinic, "form": form},
                  status=400 if form.errors else 200)


# --- staff -------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def staff_list(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form = admin_forms.InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.staff_invite(clinic=clinic, request=request,
                                               **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            # The same words whoever the address belongs to (services.staff_invite).
            messages.success(request, f"{invitation.email} is invited: the e-mail is on its "
                                      "way, and they join once they accept.")
            return redirect("clinic_staff")
    memberships = Prefetch("memberships", to_attr="all_memberships",
                           queryset=Membership.objects.only("user_id", "clinic_id", "role"))
    staff = admin_forms.staff_of(clinic).prefetch_related(memberships)
    rows = [(account,
             sorted(m.get_role_display() for m in account.all_memberships
                    if m.clinic_id == clinic.pk and m.role in STAFF_ROLES),
             any(m.clinic_id != clinic.pk for m in account.all_memberships))
            for account in staff]
    return render(request, "clinicadmin/staff_list.html",
                  {"clinic": clinic, "form": form, "rows": rows,
                   "waiting": _waiting_invitations(clinic)},
                  status=400 if form.errors else 200)


def _waiting_invitations(clinic: Clinic) -> list:
    """The clinic's invitations not yet accepted or cancelled, with their roles' names."""
    return [(i, [Role(r).label for r in i.roles if r in Role.values]) for i in
            StaffInvitation.objects.filter(clinic=clinic, accepted_at__isnull=True,
                                           cancelled_at__isnull=True)
            .order_by("-created_at")]


@login_required
def invitations(request: HttpRequest) -> HttpResponse:
    """The invitations waiting to be accepted: cancel one, or send its e-mail again."""
    clinic = _clinic(request)
    return render(request, "clinicadmin/invitations.html",
                  {"clinic": clinic, "waiting": _waiting_invitations(clinic)})


@login_required
@require_POST
def invitation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = services.staff_invitation_cancel(clinic=_clinic(request), invitation_pk=pk,
                                                  request=request)
    messages.success(request, f"The invitation of {invitation.email} is cancelled: it can "
                              "no longer be accepted.")
    return redirect("clinic_invitations")


@login_required
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = services.staff_invitation_resend(clinic=_clinic(request), invitation_pk=pk,
                                                  request=request)
    # The same words whoever the address belongs to (services.staff_invite).
    messages.success(request, f"The invitation is sent to {invitation.email} again.")
    return redirect("clinic_invitations")


def _staff_member(request: HttpRequest, clinic: Clinic, pk: int):
    """One of the clinic's staff accounts: 404 for anyone else's."""
    return get_object_or_404(admin_forms.staff_of(clinic), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    account = _staff_member(request, clinic, pk)
    refusal = policy.account_change_refusal(request.user, account, clinic)
    roles = sorted(Membership.objects.filter(user=account, clinic=clinic, role__in=STAFF_ROLES)
                   .values_list("role", flat=True))
    roles_form = admin_forms.RolesForm(initial={"roles": roles})
    details_form = admin_forms.DetailsForm(initial={
        "email": account.email, "first_name": account.first_name,
        "last_name": account.last_name, "mobile_phone": account.mobile_phone})
    if request.method == "POST":
        # Which form was sent: the roles, or the account's details.
        if "roles_form" in request.POST:
            roles_form = admin_forms.RolesForm(request.POST)
            if roles_form.is_valid():
                try:
                    services.staff_roles_set(clinic=clinic, account=account, request=request,
                                             roles=roles_form.cleaned_data["roles"])
                except services.AccountError as error:
                    roles_form.add_error("roles", str(error))
                else:
                    messages.success(request, "Roles saved.")
                    return redirect("clinic_staff_detail", pk=account.pk)
        else:
            if refusal is not None:
                raise PermissionDenied(refusal)
            details_form = admin_forms.DetailsForm(request.POST)
            if details_form.is_valid():
                try:
                    services.staff_details_update(clinic=clinic, account=account,
                                                  request=request, **details_form.cleaned_data)
                except ValidationError as error:
                    _add_errors(details_form, error)
                else:
                    messages.success(request, "Details saved.")
                    return redirect("clinic_staff_detail", pk=account.pk)
    from django_otp import user_has_device

    return render(request, "clinicadmin/staff_detail.html", {
        "clinic": clinic, "account": account, "refusal": refusal, "roles_form": roles_form,
        "details_form": details_form, "password_form": admin_forms.TemporaryPasswordForm(),
        "has_device": user_has_device(account, confirmed=None),
        "lockout": lockout_of(account.username),
    }, status=400 if roles_form.errors or details_form.errors else 200)


def _account_action(request: HttpRequest, pk: int,
                    act: Callable[[Clinic, object], str]) -> HttpResponse:
    clinic = _clinic(request)
    account = _staff_member(request, clinic, pk)
    policy.require_account_change(request.user, account, clinic)
    try:
        messages.success(request, act(clinic, account))
    except services.AccountError as error:
        messages.error(request, str(error))
    return redirect("clinic_staff_detail", pk=account.pk)


@login_required
@require_POST
def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    def act(clinic, account):
        services.staff_active_set(clinic=clinic, account=account, active=False,
                                  request=request)
        return f"{account.username} is deactivated: they can no longer log in."
    return _account_action(request, pk, act)


@login_required
@require_POST
def staff_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    def act(clinic, account):
        services.staff_active_set(clinic=clinic, account=account, active=True,
                                  request=request)
        return f"{account.username} can log in again."
    return _account_action(request, pk, act)


@login_required
@require_POST
def staff_two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    def act(clinic, account):
        services.staff_two_factor_reset(clinic=clinic, account=account, request=request)
        return (f"{account.username}'s authenticator and recovery codes are removed: they "
                "set up a new one at their next log-in.")
    return _account_action(request, pk, act)


@login_required
@require_POST
def staff_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    def act(clinic, account):
        cleared = services.staff_unlock(clinic=clinic, account=account, request=request)
        return (f"{account.username} is unlocked." if cleared
                else f"{account.username} was not locked out.")
    return _account_action(request, pk, act)


@login_required
@require_POST
def staff_password(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    account = _staff_member(request, clinic, pk)
    policy.require_account_change(request.user, account, clinic)
    form = admin_forms.TemporaryPasswordForm(request.POST)
    if form.is_valid():
        try:
            services.staff_password_set(clinic=clinic, account=account, request=request,
                                        password=form.cleaned_data["password"])
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, f"Temporary password: {message}")
        else:
            messages.success(request, f"Temporary password set: {account.username} chooses "
                                      "their own at their next log-in.")
    else:
        messages.error(request, "Temporary password: this field is required.")
    return redirect("clinic_staff_detail", pk=account.pk)


# --- the clinic's settings rows ----------------------------------------------------------------

# section -> (model, form, title, audit action, list columns)
SECTIONS: dict[str, tuple] = {
    "practitioners": (Practitioner, admin_forms.PractitionerForm, "Practitioners",
                      "practitioner.save", ("display_name", "get_profession_display", "npi",
                                            "user", "is_active")),
    "locations": (Location, admin_forms.LocationForm, "Locations", "location.save",
                  ("name", "city", "jurisdiction", "time_zone", "is_active")),
    "appointment-types": (AppointmentType, admin_forms.AppointmentTypeForm,
                          "Appointment types", "appointment_type.save",
                          ("name", "get_kind_display", "duration_minutes", "buffer_minutes",
                           "bookable_online", "is_active")),
    "fees": (FeeSchedule, admin_forms.FeeForm, "Fee schedule", "fee.save",
             ("code", "amount")),
    "payers": (Payer, admin_forms.PayerForm, "Payers and plans", "payer.save",
               ("name", "get_kind_display", "year_convention", "min_minutes_per_unit")),
    "hours": (WeeklyAvailability, admin_forms.HoursForm, "Weekly hours", "hours.save",
              ("practitioner", "location", "get_weekday_display", "start_time", "end_time",
               "valid_from", "valid_to")),
}
SELECT_RELATED = {"practitioners": ("user",), "hours": ("practitioner", "location__clinic")}
# How a section's rows reach their clinic, where it is not their own `clinic`.
CLINIC_PATH = {"hours": "practitioner__clinic"}


def _rows_of(section: str, clinic: Clinic):
    model = SECTIONS[section][0]
    return model.objects.filter(**{CLINIC_PATH.get(section, "clinic"): clinic}).select_related(
        *SELECT_RELATED.get(section, ()))


def _form(section: str, clinic: Clinic, data=None, instance=None) -> forms.ModelForm:
    form_class = SECTIONS[section][1]
    kwargs = {"instance": instance}
    if "clinic" in form_class.__init__.__code__.co_varnames:
        kwargs["clinic"] = clinic
    return form_class(data, **kwargs)


def _save(request: HttpRequest, section: str, clinic: Clinic, form, instance) -> bool:
    if not form.is_valid():
        return False
    try:
        services.clinic_row_save(clinic=clinic, instance=instance, data=form.cleaned_data,
                                 action=SECTIONS[section][3], request=request)
    except ValidationError as error:
        _add_errors(form, error)
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def rows(request: HttpRequest, section: str) -> HttpResponse:
    """A section's rows, with a form to add one."""
    clinic = _clinic(request)
    if section not in SECTIONS:
        raise _not_found()
    model, _form_class, title, _action, columns = SECTIONS[section]
    form = _form(section, clinic, request.POST or None)
    if request.method == "POST" and _save(request, section, clinic, form, model()):
        messages.success(request, "Saved.")
        return redirect("clinic_rows", section=section)
    table = [(row.pk, [_value(row, c) for c in columns]) for row in _rows_of(section, clinic)]
    return render(request, "clinicadmin/rows.html", {
        "clinic": clinic, "section": section, "title": title, "form": form, "table": table,
        "headers": [_header(model, c) for c in columns],
    }, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def row_edit(request: HttpRequest, section: str, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    if section not in SECTIONS:
        raise _not_found()
    model, _form_class, title, _action, _columns = SECTIONS[section]
    instance = get_object_or_404(_rows_of(section, clinic), pk=pk)
    form = _form(section, clinic, request.POST or None, instance=instance)
    if request.method == "POST" and _save(request, section, clinic, form, instance):
        messages.success(request, "Saved.")
        return redirect("clinic_rows", section=section)
    return render(request, "clinicadmin/row_edit.html", {
        "clinic": clinic, "section": section, "title": title, "form": form, "row": instance,
    }, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def payer_ncd_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Load the CMS NCD 30.3.3 diagnosis list onto a Medicare payer from CMS's file."""
    clinic = _clinic(request)
    payer = get_object_or_404(Payer, clinic=clinic, pk=pk)
    form = admin_forms.NcdListForm(request.POST or None, request.FILES or None)
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            listed = ncd_list.read(data["file"].name, data["file"].read())
            refused = listed.refused
            billing_services.ncd_list_load(
                payer=payer, listed=listed, source_address=data["source_address"],
                published=data["published"], leave_out_refused=data["leave_out_refused"],
                request=request)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Loaded {len(listed.codes):,} codes onto {payer}"
                              + (f", leaving out {len(refused)}." if refused else "."))
            return redirect("clinic_row_edit", section="payers", pk=payer.pk)
    return render(request, "clinicadmin/ncd_list.html", {
        "clinic": clinic, "payer": payer, "form": form, "refused": refused,
        "section": "payers", "loaded": len(payer.covered_diagnoses or []),
    }, status=400 if form.errors else 200)


def _not_found():
    from django.http import Http404

    return Http404("No such section.")


def _value(row, column: str):
    value = getattr(row, column)
    return value() if callable(value) else value


def _header(model, column: str) -> str:
    name = column.removeprefix("get_").removesuffix("_display")
    return str(model._meta.get_field(name).verbose_name).capitalize()


@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_schedule(request: HttpRequest) -> HttpResponse:
    """Which questionnaires the clinic asks when (without a row, the default schedule)."""
    clinic = _clinic(request)
    instance = OutcomeSchedule.objects.filter(clinic=clinic).first()
    if instance is None:
        default = Schedule()
        instance = OutcomeSchedule(
            clinic=clinic, baseline=list(default.baseline), review=list(default.review),
            discharge=list(default.discharge), follow_up=list(default.follow_up),
            review_every_sessions=default.review_every_sessions,
            review_every_days=default.review_every_days,
            not_improving_after_sessions=default.not_improving_after_sessions,
            link_valid_days=default.link_valid_days)
    form = admin_forms.QuestionnaireScheduleForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.clinic_row_save(clinic=clinic, instance=instance, data=form.cleaned_data,
                                     action="questionnaire_schedule.save", request=request)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Questionnaire schedule saved.")
            return redirect("clinic_questionnaires")
    return render(request, "clinicadmin/questionnaires.html", {"clinic": clinic, "form": form},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def consent_forms(request: HttpRequest) -> HttpResponse:
    """The clinic's consent forms, every version; a new text is published as a new version
    (the signed ones keep theirs)."""
    clinic = _clinic(request)
    form = admin_forms.ConsentFormVersionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient_services.consent_form_publish(clinic=clinic, request=request,
                                                  **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "The new version is now the one patients sign.")
            return redirect("clinic_consent_forms")
    versions = ConsentForm.objects.filter(clinic=clinic).order_by("kind", "-created_at")
    return render(request, "clinicadmin/consent_forms.html",
                  {"clinic": clinic, "form": form, "versions": versions},
                  status=400 if form.errors else 200)


# --- the audit log -----------------------------------------------------------------------------

AUDIT_PAGE_SIZE = 50


def _audit_events(request: HttpRequest, clinic: Clinic):
    filters = request.GET.copy()
    filters.pop("page", None)
    form = admin_forms.AuditFilterForm(filters or None, clinic=clinic)
    if form.is_bound and not form.is_valid():
        return form, None
    f = form.cleaned_data if form.is_bound else {}
    events = audit_selectors.events_for(
        clinic_id=clinic.pk, action=f.get("action", ""), actor=f.get("actor"),
        patient_mrn=f.get("patient", ""), since=f.get("since"), until=f.get("until"),
        break_glass=f.get("break_glass", False), refused=f.get("refused", False))
    return form, events


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form, events = _audit_events(request, clinic)
    page = None
    if events is not None:
        page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
        audit_record(request=request, action="audit.view", clinic=clinic,
                     detail={"query": request.GET.urlencode()[:500]})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "clinicadmin/audit.html", {
        "clinic": clinic, "form": form, "page": page, "query": query.urlencode(),
    }, status=400 if form.errors else 200)


@login_required
def audit_csv(request: HttpRequest) -> HttpResponse:
    """The events the viewer's filters select, as CSV."""
    clinic = _clinic(request)
    form, events = _audit_events(request, clinic)
    if events is None:
        return render(request, "clinicadmin/audit.html",
                      {"clinic": clinic, "form": form, "page": None, "query": ""}, status=400)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate()}.csv"'
    count = audit_selectors.events_csv(events, response)
    audit_record(request=request, action="audit.export", clinic=clinic,
                 detail={"query": request.GET.urlencode()[:500], "events": count})
    return response
