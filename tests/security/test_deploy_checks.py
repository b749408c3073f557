"""`acuback check --deploy` refuses what would leak patient data or weaken log-in in
production: the console (or any non-delivering) e-mail and SMS backends, which print
reminders with names and phone numbers into the worker's log and mark them sent, and
two-factor log-in turned off. Development (`make run`, the tests) does not run it."""

from __future__ import annotations

import pytest
from django.core.checks import ERROR, run_checks

PRODUCTION = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
              "ACUBACK_SMS_BACKEND": "none", "ACUBACK_REQUIRE_2FA": True}


def _errors(settings, **overrides) -> set[str]:
    for name, value in {**PRODUCTION, **overrides}.items():
        setattr(settings, name, value)
    return {m.id for m in run_checks(include_deployment_checks=True)
            if m.level >= ERROR and m.id.startswith("acuback.")}


def test_production_settings_pass(settings):
    assert _errors(settings) == set()


@pytest.mark.parametrize("backend", ["django.core.mail.backends.console.EmailBackend",
                                     "django.core.mail.backends.filebased.EmailBackend",
                                     "django.core.mail.backends.locmem.EmailBackend",
                                     "django.core.mail.backends.dummy.EmailBackend"])
def test_an_email_backend_that_does_not_deliver_is_refused(settings, backend):
    assert _errors(settings, EMAIL_BACKEND=backend) == {"acuback.E001"}


def test_the_console_sms_backend_is_refused(settings):
    assert _errors(settings, ACUBACK_SMS_BACKEND="acuback.scheduling.sms.ConsoleSMSBackend") \
        == {"acuback.E002"}


def test_two_factor_off_is_refused(settings):
    assert _errors(settings, ACUBACK_REQUIRE_2FA=False) == {"acuback.E003"}


def test_the_checks_stay_out_of_development(settings):
    # `make run` and the test suite run the ordinary checks, which stay quiet.
    for name, value in {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
                        "ACUBACK_SMS_BACKEND": "acuback.scheduling.sms.ConsoleSMSBackend",
                        "ACUBACK_REQUIRE_2FA": False}.items():
        setattr(settings, name, value)
    assert not [m for m in run_checks() if m.id.startswith("acuback.")]


def test_with_sms_off_no_sms_reminder_is_planned(world, settings):
    from datetime import timedelta

    from django.utils import timezone

    from acuback.scheduling.models import Notification
    from acuback.scheduling.notifications import plan_reminders
    from tests.factories import make_appointment

    settings.ACUBACK_SMS_BACKEND = "none"
    world.patient.phone, world.patient.email = "+1 312 555 0100", "pat@example.org"
    world.patient.save()
    make_appointment(world, start=timezone.now() + timedelta(hours=20))
    plan_reminders(timezone.now())
    assert set(Notification.objects.values_list("channel", flat=True)) == {"email"}


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_the_server_and_worker_do_not_start_in_production_with_console_backends(
        settings, command, monkeypatch):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from acuback.web.management.commands import serve

    def started(*args):
        raise AssertionError(f"{command} started")

    monkeypatch.setattr(serve, "_preload", started)  # a failing test starts no server
    monkeypatch.setattr("acuback.scheduling.notifications.tick", started)

    settings.HTTPS = True  # the documented production switch (ACUBACK_HTTPS=1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    with pytest.raises(SystemCheckError, match="acuback.E001"):
        call_command(command, "--once" if command == "worker" else "--bind=127.0.0.1:1")
