from django.contrib import admin

from acuback.web.operator_admin import OperatorAdmin

from .models import Addendum, AdverseEvent, Insertion, NeedleSet, Session, TreatmentPlan


class ReadOnlyWhenSigned:
    """Signed sessions (and their rows) show read-only; the database refuses writes anyway."""

    def _signed(self, obj) -> bool:
        session = getattr(obj, "session", obj)
        return bool(session and getattr(session, "is_signed", False))

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and self._signed(obj))


class InsertionInline(admin.TabularInline):
    """Shown, never written here: needle sites are recorded on the session page, past the
    depth, angle and electrode-pair checks (safety.md §3.3, §5)."""

    model = Insertion
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class NeedleSetInline(InsertionInline):
    model = NeedleSet


class AddendumInline(admin.TabularInline):
    model = Addendum
    extra = 0
    can_delete = False
    readonly_fields = ("text", "author", "created_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Session)
class SessionAdmin(ReadOnlyWhenSigned, OperatorAdmin):
    list_display = ("patient", "session_date", "practitioner", "status")
    list_filter = ("status",)
    inlines = [NeedleSetInline, InsertionInline, AddendumInline]
    readonly_fields = Session.SIGNATURE_FIELDS  # written by the signing service only

    def has_add_permission(self, request) -> bool:
        return False  # sessions are recorded through the session pages, past the safety gate


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(OperatorAdmin):
    list_display = ("patient", "style", "planned_sessions", "review_date", "is_current")
    # Points and electrode pairs change on the plan page, past the safety checks.
    readonly_fields = ("prescription", "planned_electroacupuncture", "ea_pairs")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AdverseEvent)
class AdverseEventAdmin(OperatorAdmin):
    list_display = ("patient", "type", "severity", "onset_at", "admin_acknowledged_at")
    list_filter = ("type", "severity")


@admin.register(Addendum)
class AddendumAdmin(OperatorAdmin):
    readonly_fields = ("session", "text", "author", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NeedleSet)
class NeedleSetAdmin(ReadOnlyWhenSigned, OperatorAdmin):
    list_display = ("session", "order", "face_to_face_minutes", "electrical")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Insertion)
class InsertionAdmin(ReadOnlyWhenSigned, OperatorAdmin):
    list_display = ("session", "point_code", "side", "depth_mm", "angle", "retention_minutes")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # see InsertionInline
