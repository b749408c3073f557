from django.apps import AppConfig


class ClinicAdminConfig(AppConfig):
    """Clinic administration inside the application: the pages combine accounts, audit,
    scheduling and billing, whose services do the writes."""

    name = "acuback.clinicadmin"
    label = "clinicadmin"
    verbose_name = "Clinic administration"
