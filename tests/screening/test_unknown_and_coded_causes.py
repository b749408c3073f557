"""Issue #26 items 1 and 3 through the app: the pre-needling check lists each
unanswered question that matters, linked to it; a coded serious cause raises its rule."""

from __future__ import annotations

import pytest
from django.urls import reverse

from acuback.clinical import diagnoses
from acuback.patients.models import ConsentKind
from acuback.screening.enforcement import needling_check
from tests.factories import (
    CLEAR_ANSWERS,
    clinic_today,
    make_consent,
    make_episode,
    make_signed_screening,
)

NO = {name: "no" for name in CLEAR_ANSWERS if name != "leg_pain"}


@pytest.fixture
def consented(world):
    make_consent(world.patient, world.practitioner)
    make_consent(world.patient, world.practitioner, ConsentKind.ELECTROACUPUNCTURE)
    return world


def check(world, **kwargs):
    return needling_check(patient=world.patient, practitioner=world.practitioner_record,
                          location=world.location, on=clinic_today(world.location),
                          electroacupuncture=kwargs.get("ea", False),
                          point_codes=kwargs.get("codes", []))


def test_a_blank_pregnancy_answer_blocks_needling_and_is_named(consented):
    world = consented
    world.patient.sex_at_birth = "female"
    world.patient.save()
    make_signed_screening(world.patient, world.practitioner, pregnant=None)
    result = check(world, ea=True, codes=["LI4", "SP6", "BL32", "GB21"])
    assert not result.allowed
    assert "Not yet answered: Are you pregnant, or could you be?" in result.problems
    assert [f for f, _ in result.profile.unanswered] == ["pregnant"]


def test_the_check_page_links_each_unanswered_question(consented, login):
    world = consented
    screening = make_signed_screening(world.patient, world.practitioner, new_episode=None,
                                      history_of_cancer=True)
    client = login(world.practitioner)
    page = client.get(reverse("needling_check", args=[world.patient.pk])).content.decode()
    link = reverse("screening_detail", args=[world.patient.pk, screening.pk]) + "#q-new_episode"
    assert link in page
    detail = client.get(reverse("screening_detail", args=[world.patient.pk, screening.pk]))
    assert 'id="q-new_episode"' in detail.content.decode()


def test_a_fully_answered_intake_may_be_needled(consented):
    make_signed_screening(consented.patient, consented.practitioner)
    assert check(consented).allowed


@pytest.mark.parametrize(("code", "rule"), [("G83.4", "RF-01"), ("M46.46", "RF-06"),
                                            ("M53.2X6", "CI-SPINE"), ("C79.51", "RF-04"),
                                            ("M80.08XA", "RF-08")])
def test_an_episode_coded_with_a_serious_cause_blocks_needling_naming_the_code(
        consented, login, code, rule):
    world = consented
    episode = make_episode(world.patient, world.practitioner, diagnosis_codes=[code])
    client = login(world.practitioner)
    client.post(reverse("screening_new", args=[world.patient.pk, episode.pk]),
                {"kind": "intake"})
    screening = world.patient.screenings.get()
    response = client.post(reverse("screening_detail", args=[world.patient.pk, screening.pk]),
                           {**NO, **dict.fromkeys(diagnoses.contradictions([code]), "yes"),
                            "first_back_pain_age": "30", "action": "sign",
                            "version": screening.version, "referred_to": "GP",
                            "patient_told": "See your GP."})
    assert response.status_code == 302, response.content.decode()[:2000]
    screening.refresh_from_db()
    assert screening.answers["diagnosis_codes"] == [code]
    finding = next(f for f in screening.decision["findings"] if f["rule"] == rule)
    assert code in finding["note"]
    result = check(world)
    assert not result.allowed
    assert any(code in p for p in result.problems)


def test_a_serious_cause_coded_after_todays_check_blocks_until_checked_again(consented):
    world = consented
    episode = make_episode(world.patient, world.practitioner, diagnosis_codes=["M54.50"])
    make_signed_screening(world.patient, world.practitioner, episode=episode,
                          diagnosis_codes=frozenset({"M54.50"}))
    assert check(world).allowed
    episode.diagnosis_codes = ["M54.50", "G83.4"]
    episode.save()
    result = check(world)
    assert not result.allowed
    assert any("G83.4" in p and "coded after the last screening" in p for p in result.problems)


def test_the_screening_page_never_shows_a_blocking_coded_finding_as_proceed(world, login):
    from tests.factories import make_signed_screening

    screening = make_signed_screening(world.patient, world.practitioner,
                                      diagnosis_codes=["D69.6"], bleeding_disorder=None)
    client = login(world.practitioner)
    page = client.get(reverse("screening_detail", args=[world.patient.pk, screening.pk])
                      ).content.decode()
    assert "<h2>Needling on hold</h2>" in page
    assert "Thrombocytopenia, unspecified (D69.6)" in page
    assert "Proceed with precautions" not in page
    assert "Haemophilia or severe coagulopathy" not in page
