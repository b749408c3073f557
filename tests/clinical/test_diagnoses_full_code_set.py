"""Diagnoses are checked against the full ICD-10-CM code set (CDC/CMS files shipped by
simple-icd-10-cm): billable codes pass, category headers are refused with the billable
codes beneath them, and the release in use is named."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from acuback.billing.models import Payer
from acuback.clinical import diagnoses
from acuback.patients.models import EpisodeOfCare

REFUSED_BEFORE = ["G89.29", "G89.4", "M54.6", "M46.1", "M43.16"]


@pytest.mark.parametrize("code", REFUSED_BEFORE)
def test_valid_billable_codes_outside_the_old_list_are_accepted(code):
    assert diagnoses.check(code) is None
    assert diagnoses.BY_CODE[code].description


@pytest.mark.parametrize("header, beneath", [
    ("M54.5", "M54.50, M54.51, M54.59"),
    ("M51.36", "M51.360, M51.361, M51.362, M51.369"),
    ("S33.5", "S33.5XXA"),
])
def test_a_header_is_refused_with_the_billable_codes_beneath(header, beneath):
    assert f"{header} is a category header" in diagnoses.check(header)
    assert beneath in diagnoses.check(header)


def test_the_code_set_release_is_named():
    assert "ICD-10-CM" in diagnoses.CODE_SET and "2026" in diagnoses.CODE_SET
    assert "not an ICD-10-CM code" in diagnoses.check("Q00.0X")


def test_saving_an_episode_accepts_them_and_shows_the_release(world, login):
    client = login(world.practitioner)
    url = reverse("episode_create", args=[world.patient.pk])
    assert diagnoses.CODE_SET in client.get(url).content.decode()
    response = client.post(url, {"onset_date": "2026-03-01", "cause": "nonspecific",
                                 "diagnosis_codes": "g89.29, G89.4, M54.6, M46.1, M4316"})
    assert response.status_code == 302
    assert EpisodeOfCare.objects.get().diagnosis_codes == REFUSED_BEFORE


def test_a_payers_covered_list_holds_billable_codes_with_its_source(world):
    payer = Payer(clinic=world.clinic, name="Medicare", kind="medicare",
                  covered_diagnoses=["M54.50", "M54.5"], covered_diagnoses_source="")
    with pytest.raises(ValidationError) as excinfo:
        payer.full_clean()
    assert "category header" in str(excinfo.value.message_dict["covered_diagnoses"])
    payer.covered_diagnoses = ["M54.50"]
    with pytest.raises(ValidationError) as excinfo:
        payer.full_clean()
    assert "covered_diagnoses_source" in excinfo.value.message_dict
