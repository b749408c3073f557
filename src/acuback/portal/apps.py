from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "acuback.portal"
    label = "portal"
    verbose_name = "Patient portal"
