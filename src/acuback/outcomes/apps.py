from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "acuback.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        # An open safety alert stops needling: the pre-needling check and the session
        # gate both read it (safety.md §2).
        from acuback.screening import enforcement

        from .selectors import open_alert_reasons

        enforcement.register_hold(open_alert_reasons)
