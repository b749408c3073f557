from django.contrib import admin

from acuback.web.operator_admin import OperatorAdmin

from .models import Acknowledgement, ReferralClearance, Screening


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
