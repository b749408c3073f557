"""Passwords, lockout after repeated failures, idle timeout, and sessions ending on a
password change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD


def test_production_hashes_passwords_with_argon2id(settings):
    from acuback import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    assert make_password("correct horse battery").startswith("argon2$argon2id$")


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901", "alpha_admin1"])
def test_weak_passwords_are_refused(world, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=world.admin)


def _attempt(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_failures_lock_the_account_for_the_cool_off_period(world, client, settings):
    from axes.models import AccessAttempt

    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, "alpha_admin", "wrong").status_code == 200  # form again
    locked = _attempt(client, "alpha_admin", "wrong")
    assert locked.status_code == 429 and b"Too many failed log-in attempts" in locked.content
    # even the right password is refused while locked
    assert _attempt(client, "alpha_admin", PASSWORD).status_code == 429
    assert AccessAttempt.objects.filter(username="alpha_admin").exists()
    # another user from the same address is not locked out
    assert _attempt(client, "alpha_prac", PASSWORD).status_code == 302
    client.logout()
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        assert _attempt(client, "alpha_admin", PASSWORD).status_code == 302


def test_staff_sessions_end_after_15_idle_minutes_patients_after_30(world, client):
    client.post(reverse("login"), {"username": "alpha_admin", "password": PASSWORD})
    assert client.get(reverse("home")).status_code == 200
    assert client.session.get_expiry_age() == 15 * 60
    with time_machine.travel(timezone.now() + timedelta(minutes=14)):
        assert client.get(reverse("home")).status_code == 200  # activity extends it
    with time_machine.travel(timezone.now() + timedelta(minutes=14 + 16)):
        response = client.get(reverse("patient_list"))
        assert response.status_code == 302 and reverse("login") in response["Location"]
    client.logout()
    client.force_login(world.patient_user)
    client.get(reverse("home"))
    assert client.session.get_expiry_age() == 30 * 60


def test_changing_the_password_ends_other_sessions(world, client):
    from django.test import Client

    other_device = Client()
    other_device.force_login(world.practitioner)
    assert other_device.get(reverse("home")).status_code == 200
    world.practitioner.set_password("a new long passphrase 42")
    world.practitioner.save()
    response = other_device.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
