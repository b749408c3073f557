from django.contrib import admin

from acuback.web.admin_scoping import ScopedAdmin

from .models import Abn, Authorisation, CoveragePlan, FeeSchedule, Payer


@admin.register(Payer)
class PayerAdmin(ScopedAdmin):
    list_display = ("name", "kind", "clinic")


class AuthorisationInline(admin.TabularInline):
    model = Authorisation
    extra = 0


@admin.register(CoveragePlan)
class CoveragePlanAdmin(ScopedAdmin):
    clinic_path = "patient__clinic"
    list_display = ("patient", "payer", "priority", "effective_from", "effective_to")
    inlines = [AuthorisationInline]
    can_delete_rows = True  # an entry error in a plan is not clinical data


@admin.register(Authorisation)
class AuthorisationAdmin(ScopedAdmin):
    clinic_path = "plan__patient__clinic"
    list_display = ("plan", "number", "visits", "valid_from", "expires_on")


@admin.register(FeeSchedule)
class FeeScheduleAdmin(ScopedAdmin):
    list_display = ("code", "amount", "clinic")


@admin.register(Abn)
class AbnAdmin(ScopedAdmin):
    clinic_path = "patient__clinic"
    list_display = ("patient", "visit_date", "reason", "signed_at")
