from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "acuback.web"
    label = "web"
    verbose_name = "Web"

    def ready(self):
        from django.db.models import Field, ForeignObject

        from acuback.sql import IdIn

        from . import checks  # noqa: F401 - registers the deployment checks

        Field.register_lookup(IdIn)
        ForeignObject.register_lookup(IdIn)  # foreign keys keep their own lookups
