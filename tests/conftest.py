from __future__ import annotations

import pytest

from tests.factories import make_world


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def login(client):
    """Log a user in on the test client (None stays anonymous)."""

    def _login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_lockout(settings):
    # Failed-login lockout is tested on its own (tests/security/test_login.py).
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _clinic_time_zone(settings):
    # The factories' clinics are in Chicago; "today" in a test must be the clinic's today,
    # or date checks fail between midnight UTC and midnight in Chicago.
    settings.TIME_ZONE = "America/Chicago"


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    # Two-factor log-in is tested on its own (tests/security/test_two_factor.py).
    settings.ACUBACK_REQUIRE_2FA = False
