from django.contrib import admin

from acuback.web.operator_admin import OperatorAdmin

from .models import (
    Acknowledgement,
    Allergy,
    LabResult,
    ListReview,
    Medication,
    Problem,
    ReferralClearance,
    Screening,
)


@admin.register(Screening)
class ScreeningAdmin(OperatorAdmin):
    list_display = ("patient", "kind", "status", "outcome", "signed_at")
    list_filter = ("kind", "status", "outcome")
    # Screenings are written through the intake pages, where the rules run.
    readonly_fields = [f.name for f in Screening._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ReferralClearance)
class ReferralClearanceAdmin(OperatorAdmin):
    readonly_fields = [f.name for f in ReferralClearance._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Acknowledgement)
class AcknowledgementAdmin(OperatorAdmin):
    readonly_fields = [f.name for f in Acknowledgement._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


class _ListEntryAdmin(OperatorAdmin):
    """The lists are written on the chart, where each write is audited and the rules read
    them; the operator only looks."""

    list_display = ("patient", "__str__", "status", "recorded_at")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


for _model in (Medication, Allergy, Problem, LabResult):
    admin.site.register(_model, _ListEntryAdmin)


@admin.register(ListReview)
class ListReviewAdmin(_ListEntryAdmin):
    list_display = ("patient", "reviewed_by", "reviewed_at")
