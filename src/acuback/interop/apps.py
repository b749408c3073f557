from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "acuback.interop"
    label = "interop"
    verbose_name = "Interoperability (FHIR)"
