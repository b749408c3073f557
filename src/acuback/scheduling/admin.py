from django.contrib import admin

from acuback.web.operator_admin import OperatorAdmin

from .models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Notification,
    SlotHold,
    WeeklyAvailability,
)


@admin.register(AppointmentType)
class AppointmentTypeAdmin(OperatorAdmin):
    list_display = ("name", "kind", "duration_minutes", "buffer_minutes", "is_active", "clinic")


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(OperatorAdmin):
    list_display = ("practitioner", "location", "weekday", "start_time", "end_time")
    list_filter = ("weekday",)
    can_delete_rows = True  # a template row is not clinical data


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(OperatorAdmin):
    list_display = ("date", "kind", "location", "practitioner", "reason")
    can_delete_rows = True


@admin.register(Appointment)
class AppointmentAdmin(OperatorAdmin):
    list_display = ("start", "patient", "practitioner", "location", "status")
    list_filter = ("status",)
    # Booking goes through the calendar, which checks availability and overlaps.
    readonly_fields = [f.name for f in Appointment._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(OperatorAdmin):
    list_display = ("due_at", "kind", "channel", "to", "status", "attempts", "last_error")
    list_filter = ("status", "kind", "channel")
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SlotHold)
class SlotHoldAdmin(OperatorAdmin):
    """Read-only: a hold is made by the public booking page and used by its e-mailed link."""

    list_display = ("start", "practitioner", "location", "expires_at", "released_at")
    readonly_fields = [f.name for f in SlotHold._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
