from django.contrib import admin

from acuback.web.operator_admin import OperatorAdmin

from .models import (
    Abn,
    Authorisation,
    CoveragePlan,
    FeeSchedule,
    Invoice,
    InvoiceLine,
    InvoiceVoid,
    Payer,
    Payment,
    PrepaidPackage,
)


@admin.register(Payer)
class PayerAdmin(OperatorAdmin):
    list_display = ("name", "kind", "clinic")


class AuthorisationInline(admin.TabularInline):
    model = Authorisation
    extra = 0


@admin.register(CoveragePlan)
class CoveragePlanAdmin(OperatorAdmin):
    list_display = ("patient", "payer", "priority", "effective_from", "effective_to")
    inlines = [AuthorisationInline]
    can_delete_rows = True  # an entry error in a plan is not clinical data


@admin.register(Authorisation)
class AuthorisationAdmin(OperatorAdmin):
    list_display = ("plan", "number", "visits", "valid_from", "expires_on")


@admin.register(FeeSchedule)
class FeeScheduleAdmin(OperatorAdmin):
    list_display = ("code", "amount", "clinic")


@admin.register(Abn)
class AbnAdmin(OperatorAdmin):
    list_display = ("patient", "visit_date", "reason", "signed_at")


# Money rows are written once (the database refuses changes): the admin lists them.
@admin.register(Invoice)
class InvoiceAdmin(OperatorAdmin):
    list_display = ("pk", "patient", "date_of_service", "total", "issued_at")


@admin.register(InvoiceLine)
class InvoiceLineAdmin(OperatorAdmin):
    list_display = ("invoice", "code", "description", "units", "amount")


@admin.register(InvoiceVoid)
class InvoiceVoidAdmin(OperatorAdmin):
    list_display = ("invoice", "reason", "voided_at")


@admin.register(Payment)
class PaymentAdmin(OperatorAdmin):
    list_display = ("pk", "patient", "amount", "method", "received_at")


@admin.register(PrepaidPackage)
class PrepaidPackageAdmin(OperatorAdmin):
    list_display = ("patient", "visits", "price", "sold_at")
