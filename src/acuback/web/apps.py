from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class WebConfig(AppConfig):
    name = "acuback.web"
    label = "web"
    verbose_name = "Web"

    def ready(self):
        from django.db.models import Field, ForeignObject

        from acuback import row_ids
        from acuback.sql import IdIn

        from . import checks  # noqa: F401 - registers the deployment checks

        row_ids.register()  # <id:pk> in every URL pattern, before any URL module is read
        Field.register_lookup(IdIn)
        ForeignObject.register_lookup(IdIn)  # foreign keys keep their own lookups


class OperatorAdminConfig(admin_apps.AdminConfig):
    """In INSTALLED_APPS instead of django.contrib.admin: the same admin, for platform
    operators only, with every change it logs also in the audit chain."""

    default = False  # named in INSTALLED_APPS; WebConfig stays this module's default
    default_site = "acuback.web.operator_admin.OperatorAdminSite"

    def ready(self):
        super().ready()
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        from acuback.web.operator_admin import audit_admin_change

        post_save.connect(audit_admin_change, sender=LogEntry,
                          dispatch_uid="acuback.operator_admin.change")
        # django-oauth-toolkit's admin pages would show SMART apps' live tokens to anyone
        # with the admin; apps are managed on the clinic admin's Apps page (interop).
        from django.contrib import admin
        from oauth2_provider import models as oauth

        for model in (oauth.get_application_model(), oauth.get_access_token_model(),
                      oauth.get_refresh_token_model(), oauth.get_id_token_model(),
                      oauth.get_grant_model(), oauth.get_device_grant_model()):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
