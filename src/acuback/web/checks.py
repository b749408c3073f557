"""Deployment checks (`acuback check --deploy`): what must not reach production.

Errors, not warnings: each would put patient data where it does not belong or weaken the
log-in of staff who read it. `make run` and the tests run only the ordinary checks."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

# Django's e-mail backends that print, keep or drop a message instead of delivering it
# (the worker would then mark a reminder sent that no patient received).
NOT_DELIVERING_EMAIL = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
CONSOLE_SMS = "acuback.scheduling.sms.ConsoleSMSBackend"


@register(Tags.security, deploy=True)
def production_delivery_and_log_in(app_configs, **kwargs) -> list[Error]:
    errors = []
    if settings.EMAIL_BACKEND in NOT_DELIVERING_EMAIL:
        errors.append(Error(
            f"ACUBACK_EMAIL_BACKEND is {settings.EMAIL_BACKEND}: reminders with patients' "
            "names would be printed to the log and marked sent, not delivered.",
            hint="Set ACUBACK_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and "
                 "ACUBACK_EMAIL_HOST (docs/deployment.md).", id="acuback.E001"))
    if settings.ACUBACK_SMS_BACKEND == CONSOLE_SMS:
        errors.append(Error(
            "ACUBACK_SMS_BACKEND is the console backend: text reminders with names and "
            "phone numbers would be printed to the log and marked sent.",
            hint="Point ACUBACK_SMS_BACKEND at your SMS provider's class, or set it to "
                 "'none' to send no text messages.", id="acuback.E002"))
    if not settings.ACUBACK_REQUIRE_2FA:
        errors.append(Error(
            "ACUBACK_REQUIRE_2FA is off: staff who can read every patient's record log in "
            "with a password alone.",
            hint="Remove ACUBACK_REQUIRE_2FA=0 (it is on by default when debug is off).",
            id="acuback.E003"))
    return errors


def refuse_unsafe_production() -> None:
    """`acuback serve` and `acuback worker` behind HTTPS (production) run the deployment
    checks first and do not start on an error (SystemCheckError names each one)."""
    if settings.HTTPS:
        from django.core.management import call_command

        call_command("check", deploy=True, fail_level="ERROR")
