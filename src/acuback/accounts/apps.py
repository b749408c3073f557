from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "acuback.accounts"
    label = "accounts"
    verbose_name = "Clinics and people"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .middleware import refresh_idle_expiry

        # The idle timeout starts at log-in (so the first page does not pay for it).
        user_logged_in.connect(
            lambda sender, request, user, **kwargs: refresh_idle_expiry(request, user)
            if request is not None and hasattr(request, "session") else None,
            weak=False, dispatch_uid="acuback-idle-expiry")
