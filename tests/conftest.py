from __future__ import annotations

import os
import time

import pytest

from acuback import signing
from tests.factories import make_world


def pytest_configure(config):
    _temporary_data_dir()
    _flush_lifts_row_guards()


def _flush_lifts_row_guards():
    """Emptying the tables after a test that committed (browser tests, transaction=True):
    signed rows and audit events refuse DELETE in the database, so the flush lifts the
    guards and puts them back, as a database administrator would (acuback.row_guards).
    Every other test's rows go with its transaction's rollback."""
    from contextlib import ExitStack

    from django.db import connections
    from django.test import TransactionTestCase

    from acuback import row_guards

    flush = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        with ExitStack() as lifted:
            for alias in self._databases_names(include_mirrors=False):
                lifted.enter_context(row_guards.lifted(connections[alias]))
            flush(self)

    TransactionTestCase._fixture_teardown = _fixture_teardown


def _temporary_data_dir():
    """Without ACUBACK_DATA_DIR the suite writes into a temporary data folder (removed at
    the end), never into ./var of the checkout; commands run by tests inherit it."""
    import atexit
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from django.conf import settings

    if os.environ.get("ACUBACK_DATA_DIR"):
        return
    folder = Path(tempfile.mkdtemp(prefix="acuback-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ["ACUBACK_DATA_DIR"] = str(folder)
    settings.DATA_DIR = folder
    settings.STATIC_ROOT = folder / "static"
    settings.MEDIA_ROOT = folder / "files"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def operator(db):
    """A platform operator: a superuser who belongs to no clinic."""
    from acuback.accounts.models import User

    return User.objects.create_superuser("operator", "operator@example.org", "unused-pw-1")


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


# The server's zone (TIME_ZONE and the process TZ) is neither UTC nor any clinic's zone
# (the factories' clinics are in Chicago, the demo's in Los Angeles and New York), so a
# time or a "today" taken from the server instead of the clinic's location shows up as
# a failure. UTC+14: its date differs from Chicago's 20 hours a day, from UTC's 14.
# ACUBACK_TEST_TIME_ZONE picks another to try.
SERVER_TIME_ZONE = os.environ.get("ACUBACK_TEST_TIME_ZONE", "Pacific/Kiritimati")
os.environ["ACUBACK_TIME_ZONE"] = SERVER_TIME_ZONE
os.environ["TZ"] = SERVER_TIME_ZONE
time.tzset()


@pytest.fixture(autouse=True)
def _server_time_zone(settings):
    # Changing the setting also sets the process TZ (Django's setting_changed handler).
    settings.TIME_ZONE = SERVER_TIME_ZONE


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    # Two-factor log-in is tested on its own (tests/security/test_two_factor.py).
    settings.ACUBACK_REQUIRE_2FA = False


@pytest.fixture
def world_with_consent(world):
    from acuback.patients.models import Consent
    from tests.factories import (
        make_adverse_event,
        make_appointment,
        make_session,
        make_signed_screening,
        request_for,
    )

    with signing.signing():  # arranging data signed earlier
        world.consent = Consent.objects.create(
            patient=world.patient, form=world.consent_form, kind="treatment", version="1",
            text_sha256=world.consent_form.text_sha256, signature_name="Alice Archer",
            signed_at="2026-01-01T10:00:00Z", recorded_by=world.practitioner)
    world.screening = make_signed_screening(
        world.patient, world.practitioner, saddle_numbness=True,
        referred_to="Emergency department", patient_told="Go to the ED now.")
    world.episode = world.screening.episode
    world.session = make_session(world.patient, world.practitioner_record, world.location,
                                 episode=world.episode)
    world.event = make_adverse_event(world.patient, world.practitioner, severity="serious")
    from acuback.outcomes import services as outcome_services

    request = request_for(world.practitioner)
    world.response = outcome_services.response_save(
        patient=world.patient, episode=world.episode, instrument_id="phq9",
        time_point="baseline", answers=dict.fromkeys(range(1, 10), 1), submit=True,
        completed_by="staff", request=request)
    world.alert = world.response.alerts.get()
    link = outcome_services.link_create(episode=world.episode, instrument_ids=["nrs"],
                                        time_point="review", request=request,
                                        delivery="in_person")
    world.token = outcome_services.link_token(link)
    world.appointment = make_appointment(world)
    from acuback.patients.models import CorrectionRequest

    world.correction = CorrectionRequest.objects.create(patient=world.patient,
                                                        text="My birth date is wrong.")
    from datetime import timedelta

    from django.utils import timezone

    from acuback.interop.models import ApiToken
    world.api_token = ApiToken.objects.create(
        clinic=world.clinic, user=world.admin, name="feed", digest="0" * 64, prefix="acb_x",
        scopes=["user/*.read"], created_by=world.admin,
        expires_at=timezone.now() + timedelta(days=1))
    from acuback.interop import smart
    from acuback.interop.models import SmartAuthorization

    world.smart_app, _ = smart.app_register(
        clinic=world.clinic, name="Pain diary", kind="public",
        redirect_uris="https://app.example.org/callback", request=request_for(world.admin))
    world.smart_authorization = SmartAuthorization.objects.create(
        app=world.smart_app, clinic=world.clinic, user=world.practitioner,
        patient=world.patient, scope="launch/patient patient/*.rs")
    from oauth2_provider.models import AccessToken

    from acuback.interop.models import ClientAssertionUse, SmartTokenContext
    SmartTokenContext.objects.create(
        app=world.smart_app, authorization=world.smart_authorization,
        access_token=AccessToken.objects.create(
            application=world.smart_app.application, user=world.practitioner,
            token="smart-test-token", expires=timezone.now() + timedelta(hours=1),
            scope=world.smart_authorization.scope))
    ClientAssertionUse.objects.create(app=world.smart_app, jti="used-once",
                                      expires_at=timezone.now() + timedelta(minutes=5))
    return world


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    # The cache outlives each test's database rollback; ids may be reused after it. The
    # dashboard's figures are computed on every view unless a test turns reuse on. Tests
    # use a per-process cache (no database needed to empty it); the shared database cache
    # the deployment uses has its own tests (tests/insights/test_shared_cache.py).
    from django.core.cache import cache

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "LOCATION": "tests"},
        "limits": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                   "LOCATION": "tests-limits"}}
    cache.clear()
    settings.ACUBACK_DASHBOARD_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # Rate limits are tested on their own (tests/security/test_rate_limits.py), which sets
    # each one it needs; elsewhere a test's requests are never refused for their number.
    from django.core.cache import caches

    settings.ACUBACK_RATE_LIMITS = {}
    caches["limits"].clear()
