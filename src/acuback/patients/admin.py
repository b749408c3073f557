from django.contrib import admin

from acuback.audit.services import audit_record
from acuback.web.admin_scoping import ScopedAdmin

from .models import Consent, ConsentForm, CorrectionRequest, EpisodeOfCare, Patient


@admin.register(Patient)
class PatientAdmin(ScopedAdmin):
    list_display = ("family_name", "given_name", "mrn", "date_of_birth", "clinic")
    search_fields = ("family_name", "given_name", "mrn")
    readonly_fields = ("version", "created_at", "updated_at")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        patient = self.get_object(request, object_id)
        if patient is not None:
            audit_record(request=request, action="patient.view", patient=patient,
                         target=patient, detail={"page": "admin"})
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        obj.version += 1 if change else 0
        super().save_model(request, obj, form, change)
        audit_record(request=request, action="patient.update" if change else "patient.create",
                     patient=obj, target=obj, detail={"page": "admin"})


@admin.register(ConsentForm)
class ConsentFormAdmin(ScopedAdmin):
    list_display = ("title", "kind", "version", "is_current", "clinic")


@admin.register(Consent)
class ConsentAdmin(ScopedAdmin):
    clinic_path = "patient__clinic"
    list_display = ("patient", "kind", "version", "signed_at", "withdrawn_at")
    # A signature is a record of what happened: it is never edited, only withdrawn.
    readonly_fields = [f.name for f in Consent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(EpisodeOfCare)
class EpisodeAdmin(ScopedAdmin):
    clinic_path = "patient__clinic"
    list_display = ("patient", "onset_date", "status", "cause")
    list_filter = ("status", "cause")


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(ScopedAdmin):
    clinic_path = "patient__clinic"
    list_display = ("patient", "created_at", "status", "responded_at")
    list_filter = ("status",)
    readonly_fields = ("patient", "text", "created_at")
