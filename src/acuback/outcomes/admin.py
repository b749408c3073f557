from django.contrib import admin

from acuback.web.operator_admin import OperatorAdmin

from .models import (
    CollectionLink,
    EpisodeMeasure,
    InstrumentText,
    OutcomeAlert,
    OutcomeSchedule,
    QuestionnaireResponse,
)
from .schedule import Schedule


@admin.register(QuestionnaireResponse)
class ResponseAdmin(OperatorAdmin):
    list_display = ("patient", "instrument", "time_point", "status", "total", "submitted_at")
    list_filter = ("instrument", "time_point", "status")
    readonly_fields = [f.name for f in QuestionnaireResponse._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # answers are entered through the questionnaire, which scores them


@admin.register(CollectionLink)
class LinkAdmin(OperatorAdmin):
    list_display = ("patient", "time_point", "expires_at", "used_at")
    readonly_fields = [f.name for f in CollectionLink._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OutcomeAlert)
class AlertAdmin(OperatorAdmin):
    list_display = ("patient", "kind", "created_at", "acknowledged_at")
    readonly_fields = [f.name for f in OutcomeAlert._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(InstrumentText)
class InstrumentTextAdmin(OperatorAdmin):
    list_display = ("instrument", "clinic", "version", "language", "loaded_at")


@admin.register(OutcomeSchedule)
class OutcomeScheduleAdmin(OperatorAdmin):
    list_display = ("clinic", "review_every_sessions", "review_every_days",
                    "not_improving_after_sessions")

    def get_changeform_initial_data(self, request):
        default = Schedule()
        return {"baseline": list(default.baseline), "review": list(default.review),
                "discharge": list(default.discharge), "follow_up": list(default.follow_up)}


@admin.register(EpisodeMeasure)
class EpisodeMeasureAdmin(OperatorAdmin):
    """Read only: derived rows (`acuback measures check|rebuild`), never edited by hand."""

    list_display = ("episode", "instrument", "baseline", "review", "latest", "rule_version")
    list_filter = ("instrument", "rule_version")
    readonly_fields = [f.name for f in EpisodeMeasure._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
