from django.contrib import admin

from acuback.web.operator_admin import OperatorAdmin, ReadOnlyOperatorAdmin

from .models import (
    ApiToken,
    BulkExport,
    BulkExportPart,
    ClientAssertionUse,
    SmartApp,
    SmartAuthorization,
    SmartTokenContext,
    UnexpressibleRecord,
)


@admin.register(ApiToken)
class ApiTokenAdmin(OperatorAdmin):
    """Read-mostly: tokens are made on the API tokens page, where the secret is shown once."""

    list_display = ("name", "user", "prefix", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("digest", "prefix", "created_by", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(BulkExport)
class BulkExportAdmin(OperatorAdmin):
    list_display = ("pk", "requested_by", "status", "created_at", "finished_at")
    readonly_fields = ("requested_by", "request_url", "types", "since", "status", "progress",
                       "output", "error", "created_at", "transaction_time", "finished_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(UnexpressibleRecord)
class UnexpressibleRecordAdmin(ReadOnlyOperatorAdmin):
    """Read-only: the FHIR API writes these reports; clinic admins see theirs on the API
    tokens page and correct the record itself."""

    list_display = ("resource_type", "record_id", "clinic", "last_seen_at")
    readonly_fields = ("clinic", "resource_type", "record_id", "problem", "first_seen_at",
                       "last_seen_at")


@admin.register(BulkExportPart)
class BulkExportPartAdmin(ReadOnlyOperatorAdmin):
    """Read-only: the worker writes an export's files; the housekeeping removes them."""

    list_display = ("export", "file", "part")
    readonly_fields = ("export", "file", "part", "lines")


class _ReadOnly(ReadOnlyOperatorAdmin):
    """Read-only for operators: SMART apps are registered and revoked by the clinic admin on
    the Apps page, where each change is audited and its tokens follow."""


@admin.register(SmartApp)
class SmartAppAdmin(_ReadOnly):
    list_display = ("application", "clinic", "kind", "created_at", "revoked_at")


@admin.register(SmartAuthorization)
class SmartAuthorizationAdmin(_ReadOnly):
    list_display = ("app", "user", "clinic", "created_at", "revoked_at")
    exclude = ("code_digest",)


@admin.register(SmartTokenContext)
class SmartTokenContextAdmin(_ReadOnly):
    list_display = ("app", "authorization")
    exclude = ("access_token",)  # the token itself is not shown


@admin.register(ClientAssertionUse)
class ClientAssertionUseAdmin(_ReadOnly):
    list_display = ("app", "jti", "expires_at")
