from django.contrib import admin

from .models import InstallationKey, WorkerHeartbeat
from .operator_admin import ReadOnlyOperatorAdmin


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyOperatorAdmin):
    """Which workers ran, and when they last did (clinic admins see a late worker on
    their home page)."""

    list_display = ("host", "pid", "started_at", "beat_at", "alive_at")
    ordering = ("-beat_at",)


@admin.register(InstallationKey)
class InstallationKeyAdmin(ReadOnlyOperatorAdmin):
    """Which node recorded the installation's key fingerprint, and when
    (acuback.web.installation_key)."""

    list_display = ("recorded_by", "recorded_at")
