from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "acuback.screening"
    label = "screening"
    verbose_name = "Screening and safety"
