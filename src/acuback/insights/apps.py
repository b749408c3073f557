from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "acuback.insights"
    label = "insights"
    verbose_name = "Reports and insights"
