from django.contrib import admin

from acuback.web.operator_admin import OperatorAdmin

from .models import Consent, ConsentForm, CorrectionRequest, EpisodeOfCare, Patient


@admin.register(Patient)
class PatientAdmin(OperatorAdmin):
    list_display = ("family_name", "given_name", "mrn", "date_of_birth", "clinic")
    search_fields = ("family_name", "given_name", "mrn")
    readonly_fields = ("version", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        obj.version += 1 if change else 0  # the chart's edit form sees the row changed
        super().save_model(request, obj, form, change)


@admin.register(ConsentForm)
class ConsentFormAdmin(OperatorAdmin):
    list_display = ("title", "kind", "version", "is_current", "clinic")


@admin.register(Consent)
class ConsentAdmin(OperatorAdmin):
    list_display = ("patient", "kind", "version", "signed_at", "withdrawn_at")
    # A signature is a record of what happened: it is never edited, only withdrawn.
    readonly_fields = [f.name for f in Consent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(EpisodeOfCare)
class EpisodeAdmin(OperatorAdmin):
    list_display = ("patient", "onset_date", "status", "cause")
    list_filter = ("status", "cause")


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(OperatorAdmin):
    list_display = ("patient", "created_at", "status", "responded_at")
    list_filter = ("status",)
    readonly_fields = ("patient", "text", "created_at")
