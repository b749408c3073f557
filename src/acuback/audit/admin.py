from django.contrib import admin

from acuback.web.admin_scoping import ScopedAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdmin):
    list_display = ("at", "actor_label", "action", "patient", "target", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_label", "target")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
