from __future__ import annotations

import pytest

from acuback.patients.models import ConsentKind
from tests.factories import make_consent, make_signed_screening


@pytest.fixture
def ready(world):
    """Consented (treatment and EA), screened clean today: sessions may be recorded."""
    make_consent(world.patient, world.practitioner)
    make_consent(world.patient, world.practitioner, ConsentKind.ELECTROACUPUNCTURE)
    world.intake = make_signed_screening(world.patient, world.practitioner)
    world.episode = world.intake.episode
    return world
