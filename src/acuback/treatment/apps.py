from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "acuback.treatment"
    label = "treatment"
    verbose_name = "Treatment"
