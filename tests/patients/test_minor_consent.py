"""Clinician re-test of issue #26: a 14-year-old signed their own consents, without the
guardian box, and needling was allowed. A minor's consent is signed by a parent, guardian
or legal representative (age from the date of birth on the day it is signed; the age of
majority, 18, is a project rule)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.consent import AGE_OF_MAJORITY, own_signature_counts
from acuback.patients import services
from acuback.patients.models import Consent
from acuback.screening.selectors import safety_profile
from tests.factories import clinic_today, make_consent, request_for


@pytest.fixture
def minor(world):
    world.patient.date_of_birth = date(clinic_today(world.clinic).year - 14, 1, 1)  # 13 or 14
    world.patient.save()
    return world


def test_a_minors_own_signature_is_refused_naming_the_guardian_box(minor, login):
    form = minor.consent_form
    page = login(minor.practitioner).post(
        reverse("consent_create", args=[minor.patient.pk]),
        {"form": form.pk, "signature_name": minor.patient.full_name})
    assert page.status_code == 400
    assert "guardian" in page.content.decode()
    assert not Consent.objects.exists()
    with pytest.raises(services.ConsentError, match="guardian"):
        services.consent_record(patient=minor.patient, form=form,
                                signature_name=minor.patient.full_name,
                                signed_by_representative=False,
                                request=request_for(minor.practitioner))


def test_the_portal_refuses_it_too_without_a_500(minor, login):
    form = minor.consent_form
    page = login(minor.patient_user).post(reverse("portal_consents"),
                                          {"form": form.pk,
                                           "signature_name": minor.patient.full_name})
    assert page.status_code == 400 and not Consent.objects.exists()


def test_a_guardians_signature_counts(minor):
    form = minor.consent_form
    services.consent_record(patient=minor.patient, form=form, signature_name="Parent Name",
                            signed_by_representative=True,
                            request=request_for(minor.practitioner))
    profile = safety_profile(patient=minor.patient, on=clinic_today(minor.clinic))
    assert "No signed treatment consent is in force." not in profile.needling_reasons


def test_a_minors_own_signature_stored_earlier_is_not_in_force(minor):
    make_consent(minor.patient, minor.practitioner)  # signed by the 14-year-old
    profile = safety_profile(patient=minor.patient, on=clinic_today(minor.clinic))
    assert "No signed treatment consent is in force." in profile.needling_reasons
    assert Consent.objects.kinds_in_force(minor.patient.pk) == set()


@given(st.integers(0, 120), st.booleans())
def test_only_an_adult_signs_alone(age, by_representative):
    assert own_signature_counts(age, by_representative) == (
        by_representative or age >= AGE_OF_MAJORITY)
