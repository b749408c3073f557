"""Strict headers on every page, and Django's deployment check with production settings."""

from __future__ import annotations

import os
import subprocess
import sys

from django.urls import reverse


def test_pages_carry_a_strict_content_security_policy(world, login):
    response = login(world.admin).get(reverse("home"))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no inline script, no other origin
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "http" not in policy  # no third-party origin anywhere
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_template_has_inline_script_or_event_handlers():
    import re
    from pathlib import Path

    import acuback

    root = Path(acuback.__file__).parent
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text), \
            template
        assert not re.search(r"\son[a-z]+\s*=", text), template


def _deployment_check(tmp_path, **variables) -> subprocess.CompletedProcess:
    env = {**os.environ, "ACUBACK_DATA_DIR": str(tmp_path), "ACUBACK_HTTPS": "1",
           "ACUBACK_ALLOWED_HOSTS": "clinic.example.org", "ACUBACK_DEBUG": "0",
           "ACUBACK_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
           "ACUBACK_SMS_BACKEND": "none", "DJANGO_SETTINGS_MODULE": "acuback.settings",
           **variables}
    env.pop("ACUBACK_DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests, not in production
    return subprocess.run([sys.executable, "-m", "django", "check", "--deploy",
                           "--fail-level", "WARNING"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_deployment_check_passes_with_production_settings(tmp_path):
    result = _deployment_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deployment_check_refuses_the_development_defaults(tmp_path):
    # The defaults print e-mail and text messages (with names and phone numbers) to the log.
    result = _deployment_check(tmp_path, ACUBACK_EMAIL_BACKEND="", ACUBACK_SMS_BACKEND="",
                               ACUBACK_REQUIRE_2FA="0")
    assert result.returncode != 0
    for check in ("acuback.E001", "acuback.E002", "acuback.E003"):
        assert check in result.stderr, result.stderr


def test_https_settings_turn_on_hsts_and_secure_cookies(tmp_path):
    code = ("from django.conf import settings as s; import django; django.setup(); "
            "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_SSL_REDIRECT)")
    env = {**os.environ, "ACUBACK_DATA_DIR": str(tmp_path), "ACUBACK_HTTPS": "1",
           "DJANGO_SETTINGS_MODULE": "acuback.settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,  # noqa: S603
                         text=True, timeout=60, check=True).stdout.split()
    assert out == ["31536000", "True", "True", "True"]
