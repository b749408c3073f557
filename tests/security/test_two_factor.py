"""Staff give a one-time code after the password (when required); patients do not."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from acuback.audit.models import AuditEvent
from tests.factories import PASSWORD


@pytest.fixture
def required(settings):
    settings.ACUBACK_REQUIRE_2FA = True


def _log_in(client, username):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def _unthrottle(device):
    """django-otp makes one wait longer after each wrong code; tests do not wait."""
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)


def _code(device, offset=0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def test_staff_enrol_with_a_qr_code_and_get_recovery_codes(world, client, required):
    _log_in(client, "alpha_prac")
    response = client.get(reverse("patient_list"))
    assert response.status_code == 302 and reverse("two_factor_setup") in response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=world.practitioner, confirmed=False)
    wrong = client.post(reverse("two_factor_setup"), {"code": "000000"})
    assert wrong.status_code == 400 and "does not match" in wrong.content.decode()
    _unthrottle(device)
    done = client.post(reverse("two_factor_setup"), {"code": _code(device),
                                                     "next": reverse("patient_list")})
    codes = re.findall(r"<li><code>([^<]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert client.get(reverse("patient_list")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.2fa.enrol", actor=world.practitioner).exists()


def _enrolled(world, client):
    _log_in(client, "alpha_prac")
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=world.practitioner)
    page = client.post(reverse("two_factor_setup"), {"code": _code(device)})
    codes = re.findall(r"<li><code>([^<]+)</code></li>", page.content.decode())
    client.post(reverse("logout"))
    return device, codes


def test_next_time_the_code_is_asked_after_the_password(world, client, required):
    device, codes = _enrolled(world, client)
    _log_in(client, "alpha_prac")
    response = client.get(reverse("patient_list"))
    assert reverse("two_factor_verify") in response["Location"]
    wrong = client.post(reverse("two_factor_verify"), {"code": "123456"})
    assert wrong.status_code == 400
    _unthrottle(device)
    ok = client.post(reverse("two_factor_verify"), {"code": _code(device, offset=1),
                                                    "next": reverse("patient_list")})
    assert ok.status_code == 302 and ok["Location"] == reverse("patient_list")


def test_a_recovery_code_works_once(world, client, required):
    _, codes = _enrolled(world, client)
    _log_in(client, "alpha_prac")
    assert client.post(reverse("two_factor_verify"), {"code": codes[0]}).status_code == 302
    client.post(reverse("logout"))
    _log_in(client, "alpha_prac")
    assert client.post(reverse("two_factor_verify"), {"code": codes[0]}).status_code == 400


def test_patients_are_not_asked(world, client, required):
    client.force_login(world.patient_user)
    assert client.get(reverse("portal_record")).status_code == 200


@pytest.mark.parametrize(("debug", "required_by_default"), [("0", "True"), ("1", "False")])
def test_it_is_required_whenever_debug_is_off(tmp_path, debug, required_by_default):
    import os
    import subprocess
    import sys

    env = {**os.environ, "ACUBACK_DATA_DIR": str(tmp_path), "ACUBACK_DEBUG": debug,
           "DJANGO_SETTINGS_MODULE": "acuback.settings"}
    env.pop("ACUBACK_REQUIRE_2FA", None)
    code = "import django; django.setup(); from django.conf import settings as s; " \
           "print(s.ACUBACK_REQUIRE_2FA)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,  # noqa: S603
                         text=True, timeout=60, check=True).stdout.strip()
    assert out == required_by_default


def test_an_open_redirect_through_next_is_refused(world, client, required):
    device, _ = _enrolled(world, client)
    _log_in(client, "alpha_prac")
    response = client.post(reverse("two_factor_verify"), {
        "code": _code(device, offset=1), "next": "https://evil.example/"})
    assert response["Location"] == "/"
