from __future__ import annotations

import pytest

from acuback import signing
from tests.factories import make_world


def pytest_configure(config):
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


@pytest.fixture(autouse=True)
def _clinic_time_zone(settings):
    # The factories' clinics are in Chicago; "today" in a test must be the clinic's today,
    # or date checks fail between midnight UTC and midnight in Chicago.
    settings.TIME_ZONE = "America/Chicago"


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
                                        time_point="review", request=request)
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
    return world


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    # The cache outlives each test's database rollback; ids may be reused after it. The
    # dashboard's figures are computed on every view unless a test turns reuse on. Tests
    # use a per-process cache (no database needed to empty it); the shared database cache
    # the deployment uses has its own tests (tests/insights/test_shared_cache.py).
    from django.core.cache import cache

    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    cache.clear()
    settings.ACUBACK_DASHBOARD_CACHE_SECONDS = 0
