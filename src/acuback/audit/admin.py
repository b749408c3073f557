from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import path
from django.utils import timezone

from acuback.web.csv_cells import csv_writer
from acuback.web.operator_admin import OperatorAdmin

from .models import AuditEvent
from .services import audit_record

CSV_COLUMNS = ("id", "at", "actor_label", "action", "clinic_id", "patient_id", "target",
               "ip_address", "break_glass", "detail", "prev_hash", "hash")


@admin.register(AuditEvent)
class AuditEventAdmin(OperatorAdmin):
    """The audit viewer: filter by patient, user, action and date; export what is shown."""

    list_display = ("at", "actor_label", "action", "patient", "target", "ip_address",
                    "glass")
    list_filter = ("break_glass", "action", "at", ("actor", admin.RelatedOnlyFieldListFilter),
                   ("patient", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "at"
    search_fields = ("actor_label", "target", "patient__mrn", "patient__family_name")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    list_select_related = ("patient",)
    change_list_template = "admin/audit/auditevent/change_list.html"

    @admin.display(description="break the glass", boolean=False)
    def glass(self, event) -> str:
        return f"⚠ {event.detail.get('reason', '')}" if event.break_glass else ""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [path("export.csv", self.admin_site.admin_view(self.export_csv),
                     name="audit_auditevent_export")] + super().get_urls()

    def export_csv(self, request):
        """The events the current filters show (the viewer's query string), as CSV."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        try:
            events = self.get_changelist_instance(request).get_queryset(request).order_by("pk")
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(
                "These filters are not valid (a date that does not exist, or a malformed "
                "value): choose them again in the audit viewer, then export.",
                content_type="text/plain; charset=utf-8")
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = (f'attachment; filename="audit-'
                                           f'{timezone.localdate()}.csv"')
        writer = csv_writer(response)
        writer.writerow(CSV_COLUMNS)
        count = 0
        for event in events.iterator(chunk_size=2000):
            writer.writerow([getattr(event, c) for c in CSV_COLUMNS])
            count += 1
        audit_record(request=request, action="audit.export",
                     detail={"query": request.GET.urlencode()[:500], "events": count})
        return response
