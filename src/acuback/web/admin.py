from django.contrib import admin

from .models import InstallationKey, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    """Read-only, for the site's superuser: which workers ran, and when they last did
    (clinic admins see a late worker on their home page)."""

    list_display = ("host", "pid", "started_at", "beat_at")
    ordering = ("-beat_at",)

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InstallationKey)
class InstallationKeyAdmin(admin.ModelAdmin):
    """Read-only, for the site's superuser: which node recorded the installation's key
    fingerprint, and when (acuback.web.installation_key)."""

    list_display = ("recorded_by", "recorded_at")

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
