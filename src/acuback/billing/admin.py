from django.contrib import admin

from acuback.web.operator_admin import OperatorAdmin

from .models import (
    Abn,
    AbnScan,
    Authorisation,
    Claim,
    ClaimAdjustment,
    ClaimBatch,
    ClaimEvent,
    ClaimLine,
    ClaimPayment,
    ClaimSetup,
    CoveragePlan,
    FeeSchedule,
    Invoice,
    InvoiceLine,
    InvoiceVoid,
    Payer,
    Payment,
    PrepaidPackage,
    Remittance,
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


# The scan is served by the account page (audited); the admin lists it, never its bytes.
@admin.register(AbnScan)
class AbnScanAdmin(OperatorAdmin):
    list_display = ("abn", "media_type", "size", "sha256")
    exclude = ("content",)


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


# Electronic claims and remittances: claims as sent and 835s as received are written once
# (row guards); the admin lists them for platform operators.
@admin.register(ClaimSetup)
class ClaimSetupAdmin(OperatorAdmin):
    list_display = ("clinic", "submitter_id", "receiver_id", "production")


@admin.register(Claim)
class ClaimAdmin(OperatorAdmin):
    list_display = ("pk", "patient", "date_of_service", "status", "total_charge")


@admin.register(ClaimLine)
class ClaimLineAdmin(OperatorAdmin):
    list_display = ("claim", "code", "modifiers", "units", "charge")


@admin.register(ClaimEvent)
class ClaimEventAdmin(OperatorAdmin):
    list_display = ("claim", "status", "at")


@admin.register(ClaimBatch)
class ClaimBatchAdmin(OperatorAdmin):
    list_display = ("clinic", "control_number", "created_at")


@admin.register(Remittance)
class RemittanceAdmin(OperatorAdmin):
    list_display = ("clinic", "trace_number", "total_paid", "imported_at")


@admin.register(ClaimPayment)
class ClaimPaymentAdmin(OperatorAdmin):
    list_display = ("remittance", "claim_number", "claim", "paid")


@admin.register(ClaimAdjustment)
class ClaimAdjustmentAdmin(OperatorAdmin):
    list_display = ("payment", "group", "reason", "amount")
