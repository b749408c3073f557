from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "acuback.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
