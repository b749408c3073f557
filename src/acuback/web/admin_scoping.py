"""Django admin behind the same policy as the pages.

Clinic admins get the admin site, but only for their own clinics' rows; nothing
clinical can be deleted there; each change page of patient data is audited.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet

from acuback.accounts import policy


class BoundedDatesChangeList(ChangeList):
    """Django admin's change list, with a date drill-down (date_hierarchy) at the end of
    the calendar (`?at__year=9999&at__month=12`) taken as a bad filter, as Django takes a
    malformed one: Django steps to the next month or year and overflows (a 500)."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class ScopedAdmin(admin.ModelAdmin):
    # Path from this model to its clinic, e.g. "patient__clinic". None: the model is a Clinic.
    clinic_path: str | None = "clinic"
    can_delete_rows = False

    def get_changelist(self, request, **kwargs):
        return BoundedDatesChangeList

    def _clinic_ids(self, request) -> list[int]:
        return policy.clinic_ids_with(request.user, "admin.site")

    def get_queryset(self, request) -> QuerySet:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        lookup = "pk__in" if self.clinic_path is None else f"{self.clinic_path}__in"
        return qs.filter(**{lookup: self._clinic_ids(request)})

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser or bool(self._clinic_ids(request))

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.can_delete_rows and self.has_module_permission(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices of clinic-owned rows are limited to the admin's clinics.
        related = db_field.related_model
        if not request.user.is_superuser:
            ids = self._clinic_ids(request)
            if related._meta.label == "accounts.Clinic":
                kwargs["queryset"] = related.objects.filter(pk__in=ids)
            elif any(f.name == "clinic" for f in related._meta.get_fields()):
                kwargs["queryset"] = related._default_manager.filter(clinic_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
