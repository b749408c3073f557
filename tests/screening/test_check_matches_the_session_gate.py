"""Clinician re-test of issue #26: with an open PHQ-9 safety alert the pre-needling check
said "Needling may proceed" while starting a session was refused. The check shows every
reason the session gate refuses; both read one list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from acuback.outcomes.models import OutcomeAlert
from acuback.screening.enforcement import needling_check
from acuback.treatment import services as treatment_services
from tests.factories import (
    clinic_today,
    make_consent,
    make_episode,
    make_signed_screening,
    request_for,
)


@pytest.fixture
def ready(world):
    make_consent(world.patient, world.practitioner)
    world.episode = make_episode(world.patient, world.practitioner)
    make_signed_screening(world.patient, world.practitioner, episode=world.episode)
    return world


def start(world):
    return treatment_services.session_start(
        episode=world.episode, practitioner=world.practitioner_record,
        location=world.location, request=request_for(world.practitioner))


def check(world):
    return needling_check(patient=world.patient, practitioner=world.practitioner_record,
                          location=world.location, on=clinic_today(world.location),
                          electroacupuncture=False, point_codes=[])


@pytest.mark.parametrize("kind", ["self_harm", "intake_emergency"])
def test_an_open_safety_alert_refuses_the_check_as_it_refuses_the_session(ready, kind, login):
    assert check(ready).allowed  # the arrangement: nothing else stands in the way
    OutcomeAlert.objects.create(patient=ready.patient, kind=kind)
    result = check(ready)
    assert not result.allowed
    assert any("Open safety alert" in p for p in result.problems)
    with pytest.raises(treatment_services.TreatmentError, match="Open safety alert"):
        start(ready)
    page = login(ready.practitioner).post(
        reverse("needling_check", args=[ready.patient.pk]),
        {"location": ready.location.pk, "points": "BL23"}).content.decode()
    assert "Needling may proceed" not in page and "Open safety alert" in page


def test_the_check_and_the_gate_agree_once_the_follow_up_is_recorded(ready):
    alert = OutcomeAlert.objects.create(patient=ready.patient, kind="self_harm")
    assert not check(ready).allowed
    OutcomeAlert.objects.filter(pk=alert.pk).update(acknowledged_at=alert.created_at,
                                                     follow_up_note="Phoned; safe.")
    assert check(ready).allowed
    assert start(ready).pk
