from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "acuback.billing"
    label = "billing"
    verbose_name = "Coverage and billing"
