"""The Django admin: a tool for platform operators (superusers) only.

Clinic admins run their clinic inside the application, where every action goes
through a service and its rules (which accounts a clinic admin may change, the
signing service, token limits). Through the Django admin one clinic's admin once
gave themselves another clinic's accounts, so nobody but an operator gets in.

Operators are audited like everyone else: every admin request is an audit event
(with the patient when the record belongs to one), and every change the admin
logs is one too, in the same transaction as the change.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList


def is_operator(user) -> bool:
    """A platform operator: a superuser. Nothing a clinic grants makes one."""
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


class OperatorAdminSite(admin.AdminSite):
    site_header = "acuback platform administration"
    site_title = "acuback operators"

    def has_permission(self, request) -> bool:
        return is_operator(request.user)

    def login(self, request, extra_context=None):
        """One door in: the application's log-in, with its lockout and two-factor step.
        The admin's own form logged people in with a password alone."""
        from django.conf import settings
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import redirect, resolve_url
        from django.urls import reverse
        from django.utils.http import urlencode

        if request.user.is_authenticated:
            if is_operator(request.user):
                return redirect(reverse("admin:index", current_app=self.name))
            raise PermissionDenied("The platform administration is for platform operators.")
        target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': target})}")

    def admin_view(self, view, cacheable=False):
        wrapped = super().admin_view(view, cacheable)

        def audited(request, *args, **kwargs):
            if is_operator(request.user):
                _audit_request(request, kwargs)
            return wrapped(request, *args, **kwargs)

        audited.__wrapped__ = wrapped
        return audited


class BoundedDatesChangeList(ChangeList):
    """Django admin's change list, with a date drill-down (date_hierarchy) at the end of
    the calendar (`?at__year=9999&at__month=12`) taken as a bad filter, as Django takes a
    malformed one: Django steps to the next month or year and overflows (a 500)."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc


def _written_once(model) -> bool:
    """Rows the database refuses to change (acuback.row_guards, no UPDATE at all)."""
    from acuback import row_guards

    return model._meta.db_table in {g.table for g in row_guards.all_guards()
                                    if g.no_update and g.when is None}


class OperatorAdmin(admin.ModelAdmin):
    """acuback's models in the operator admin: nothing clinical is deleted there, and a
    row the database keeps as written (an invoice, a signed ABN, a sent claim's history)
    is shown, never offered for editing (its save was a database error, a 500)."""

    can_delete_rows = False

    def get_changelist(self, request, **kwargs):
        return BoundedDatesChangeList

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.can_delete_rows and super().has_delete_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not _written_once(self.model) and super().has_change_permission(request, obj)


class ReadOnlyOperatorAdmin(OperatorAdmin):
    """Rows the application writes (workers, the FHIR API, the clinic admin's pages):
    operators look, never add or edit."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _record_of(request, kwargs):
    """The model and the record an admin URL is about (None where it names none)."""
    match = getattr(request, "resolver_match", None)
    model_admin = getattr(getattr(match, "func", None), "model_admin", None)
    if model_admin is None:
        return None, None
    object_id = kwargs.get("object_id")
    obj = model_admin.get_object(request, object_id) if object_id else None
    return model_admin.model, obj


def _patient_of(obj):
    from acuback.patients.models import Patient

    if isinstance(obj, Patient):
        return obj
    patient = getattr(obj, "patient", None)
    return patient if isinstance(patient, Patient) else None


def _audit_request(request, kwargs) -> None:
    from acuback.audit.services import audit_record

    model, obj = _record_of(request, kwargs)
    patient = _patient_of(obj)
    detail = {"method": request.method, "path": request.path[:300]}
    if model is not None:
        detail["model"] = model._meta.label_lower
    if request.method == "POST":
        # The names of the fields sent, never their values (passwords, secrets).
        detail["fields"] = sorted(k for k in request.POST if k != "csrfmiddlewaretoken")[:60]
    if request.GET:
        detail["query"] = request.GET.urlencode()[:300]
    audit_record(request=request, action="operator.admin.view" if request.method == "GET"
                 else "operator.admin.post", patient=patient,
                 clinic=None if patient is not None else getattr(obj, "clinic_id", None),
                 target=obj, detail=detail)


def audit_admin_change(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    """Each addition, change and deletion the admin logs, chained in the audit log too."""
    if not created:
        return
    from acuback.audit.services import audit_record

    action = {1: "added", 2: "changed", 3: "deleted"}.get(instance.action_flag, "changed")
    model = instance.content_type.model_class() if instance.content_type_id else None
    obj = None
    if model is not None and action != "deleted":
        obj = model._default_manager.filter(pk=instance.object_id).first()
    patient = _patient_of(obj)
    audit_record(request=None, actor=instance.user, action=f"operator.admin.{action}",
                 patient=patient, target=f"{instance.content_type.app_label}."
                 f"{instance.content_type.model}:{instance.object_id}",
                 detail={"change": instance.get_change_message()[:500],
                         "repr": instance.object_repr[:200]})
