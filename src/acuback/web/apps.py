from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "acuback.web"
    label = "web"
    verbose_name = "Web"
