from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "acuback.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"
