"""Clinician re-test of issue #26 (item 5): with an open PHQ-9 item-9 alert the page
header said "Needling: allowed" above the red refusal. Every summary of whether needling
is allowed reads the same list of holds as the session gate (screening.selectors
.safety_profile, which the gate's needling_check reads)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from acuback.outcomes import services
from acuback.outcomes.models import OutcomeAlert
from acuback.screening.enforcement import needling_check
from acuback.screening.selectors import safety_profile
from tests.factories import (
    clinic_today,
    make_consent,
    make_signed_screening,
)


@pytest.fixture
def alerted(world):
    make_consent(world.patient, world.practitioner)
    world.episode = make_signed_screening(world.patient, world.practitioner).episode
    services.response_save(patient=world.patient, episode=world.episode, instrument_id="phq9",
                           time_point="baseline", answers={9: 3}, submit=False,
                           completed_by="patient", request=None)
    world.alert = OutcomeAlert.objects.get()
    return world


def headline(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_profile_and_the_gate_agree_on_an_open_alert(alerted):
    today = clinic_today(alerted.location)
    profile = safety_profile(patient=alerted.patient, on=today)
    check = needling_check(patient=alerted.patient, practitioner=alerted.practitioner_record,
                           location=alerted.location, on=today, electroacupuncture=False,
                           point_codes=[])
    assert not check.allowed
    assert not profile.needling_allowed
    assert any("Open safety alert" in r for r in profile.needling_reasons)
    # One source: the gate's refusal is the profile's reason, listed once.
    assert sum("Open safety alert" in p for p in check.problems) == 1


@pytest.mark.parametrize("page", ["patient_clinical", "needling_check"])
def test_no_page_says_needling_allowed_while_an_alert_is_open(alerted, login, page):
    client = login(alerted.practitioner)
    text = headline(client.get(reverse(page, args=[alerted.patient.pk])).content.decode())
    assert "Needling: allowed" not in text
    assert "Needling: not allowed" in text and "Open safety alert" in text


def test_after_the_follow_up_the_header_says_allowed_again(alerted, login):
    client = login(alerted.practitioner)
    client.post(reverse("outcome_alert_acknowledge", args=[alerted.patient.pk, alerted.alert.pk]),
                {"note": "Phoned at 09:10: no plan or intent; GP informed."})
    text = headline(client.get(reverse("patient_clinical", args=[alerted.patient.pk]))
                    .content.decode())
    assert "Needling: allowed" in text


def test_the_screening_page_says_the_decision_is_the_screenings_not_todays(alerted, login):
    client = login(alerted.practitioner)
    screening = alerted.episode.screenings.get()
    text = headline(client.get(reverse("screening_detail", args=[alerted.patient.pk,
                                                                 screening.pk])).content.decode())
    assert "Needling: allowed" not in text
    assert "Needling: not allowed" in text


