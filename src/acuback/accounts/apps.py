from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "acuback.accounts"
    label = "accounts"
    verbose_name = "Clinics and people"
