"""The safety profile and the checks every session must pass (issue 3, items 4-6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from acuback import signing
from acuback.patients.models import ConsentKind
from acuback.screening import services
from acuback.screening.enforcement import NeedlingRefused, needling_check, require_needling_allowed
from acuback.screening.models import Screening
from acuback.screening.selectors import safety_profile
from tests.factories import (
    clinic_today,
    make_consent,
    make_practitioner,
    make_signed_screening,
    request_for,
)

TODAY = None


@pytest.fixture
def ready(world):
    """A consented patient with a clean signed intake today: needling may go ahead."""
    make_consent(world.patient, world.practitioner)
    make_consent(world.patient, world.practitioner, ConsentKind.ELECTROACUPUNCTURE)
    make_signed_screening(world.patient, world.practitioner)
    return world


def check(world, *, practitioner=None, ea=False, codes=(), on=None):
    return needling_check(patient=world.patient,
                          practitioner=practitioner or world.practitioner_record,
                          location=world.location, on=on or clinic_today(world.location),
                          electroacupuncture=ea, point_codes=list(codes))


def test_a_consented_patient_with_a_clean_intake_may_be_needled(ready):
    result = check(ready, ea=True, codes=["BL23", "UB40", "GV4"])
    assert result.allowed, result.problems
    assert result.profile.needling_allowed and result.profile.electroacupuncture_allowed


def test_without_a_screening_nothing_may_be_needled(world):
    make_consent(world.patient, world.practitioner)
    profile = safety_profile(patient=world.patient, on=clinic_today(world.location))
    assert not profile.needling_allowed
    assert "No signed screening" in " ".join(profile.needling_reasons)


def test_without_a_treatment_consent_needling_is_refused(world):
    make_signed_screening(world.patient, world.practitioner)
    result = check(world)
    assert not result.allowed
    assert "No signed treatment consent is in force." in result.problems


def test_a_withdrawn_consent_no_longer_counts(ready):
    ready.patient.consents.filter(kind=ConsentKind.TREATMENT).update(
        withdrawn_at=timezone.now())
    assert not check(ready).allowed


def test_an_emergency_referral_blocks_needling_until_cleared(ready):
    screening = make_signed_screening(ready.patient, ready.practitioner, saddle_numbness=True,
                                      referred_to="ED", patient_told="Go now.")
    result = check(ready)
    assert not result.allowed and result.profile.open_referral
    assert any("EMERGENCY referral is open" in p for p in result.problems)
    services.referral_clear(screening=screening, kind="medical_clearance",
                            note="MRI normal, cleared by Dr Ortiz",
                            cleared_by_name="Dr Xavier Ortiz", cleared_on=timezone.localdate(),
                            letter="Letter from Dr Ortiz, filed in documents",
                            request=request_for(ready.practitioner))
    result = check(ready)
    assert result.allowed, result.problems
    assert result.profile.referral_cleared


def test_a_clearance_does_not_lift_other_blocks(ready):
    screening = make_signed_screening(ready.patient, ready.practitioner, saddle_numbness=True,
                                      bleeding_disorder=True, referred_to="ED",
                                      patient_told="Go now.")
    services.referral_clear(screening=screening, kind="medical_clearance", note="cleared",
                            cleared_by_name="Dr Xavier Ortiz", cleared_on=timezone.localdate(),
                            letter="Letter from Dr Ortiz, filed in documents",
                            request=request_for(ready.practitioner))
    result = check(ready)
    assert not result.allowed
    assert any("Haemophilia or severe coagulopathy" in p for p in result.problems)
    assert not any("CI-" in p for p in result.problems)  # in words, not the rule code


def test_a_soon_referral_lets_needling_go_ahead_after_acknowledgement(ready):
    screening = make_signed_screening(ready.patient, ready.practitioner,
                                      unexplained_weight_loss=True, referred_to="GP",
                                      patient_told="See your GP this month.")
    result = check(ready)
    assert not result.allowed
    assert any(p.startswith("Acknowledge before the first needle") for p in result.problems)
    services.precautions_acknowledge(screening=screening,
                                     texts=list(screening.decision["acknowledgements"]),
                                     request=request_for(ready.practitioner))
    assert check(ready).allowed


@pytest.mark.parametrize("kind", ["pacemaker", "icd", "neurostimulator"])
def test_no_electroacupuncture_with_an_implanted_electrical_device(ready, kind):
    from acuback.clinical.safety import Device

    make_signed_screening(ready.patient, ready.practitioner,
                          devices=(Device(kind, region="chest"),))
    assert check(ready, ea=False, codes=["BL23"]).allowed
    result = check(ready, ea=True, codes=["BL23"])
    assert not result.allowed
    assert any("Implanted electrical device" in p for p in result.problems)
    assert not check(ready, codes=["LU1"]).allowed  # LU1 lies on the chest, over the device


def test_no_electroacupuncture_without_its_own_consent(world):
    make_consent(world.patient, world.practitioner)
    make_signed_screening(world.patient, world.practitioner)
    result = check(world, ea=True)
    assert "Electroacupuncture: No signed electroacupuncture consent is in force." in result.problems
    assert check(world, ea=False).allowed


def test_pregnancy_blocks_the_catalogues_pregnancy_points_and_the_lumbosacral_region(ready):
    screening = make_signed_screening(ready.patient, ready.practitioner, pregnant=True,
                                      gestational_weeks=20)
    services.precautions_acknowledge(screening=screening,
                                     texts=list(screening.decision["acknowledgements"]),
                                     request=request_for(ready.practitioner))
    profile = safety_profile(patient=ready.patient, on=clinic_today(ready.location))
    assert {"LI4", "SP6", "CV4", "KI12", "ST28", "BL23", "BL31"} <= set(profile.blocked_points)
    assert not profile.electroacupuncture_allowed
    result = check(ready, codes=["BL23", "LI4"])
    assert not result.allowed
    assert any(p.startswith("BL23 (Shenshu) is blocked for this patient: Pregnancy")
               for p in result.problems)
    assert check(ready, codes=["LR3"]).allowed


def test_prohibited_sites_are_blocked_for_everyone(ready):
    result = check(ready, codes=["CV8"])
    assert "CV8 (Shenque) is blocked for this patient: Prohibited sites: never "\
           "needled (nipple, umbilicus)." in result.problems


def test_pneumothorax_points_are_flagged_for_extra_caution(ready):
    profile = safety_profile(patient=ready.patient, on=clinic_today(ready.location))
    assert {"GB21", "BL13", "LU1"} <= set(profile.caution_points)


def test_a_practitioner_with_an_expired_licence_is_refused(ready):
    lapsed = make_practitioner(ready.clinic, expires_in_days=-1)
    result = check(ready, practitioner=lapsed)
    assert any("is not cleared to needle" in p and "expired" in p for p in result.problems)


def test_a_practitioner_licensed_elsewhere_is_refused(ready):
    elsewhere = make_practitioner(ready.clinic, licence_in="US-WI")
    result = check(ready, practitioner=elsewhere)
    assert any("no licence recorded for US-IL" in p for p in result.problems)


def test_a_user_who_is_not_a_practitioner_is_refused(ready):
    result = needling_check(patient=ready.patient, practitioner=None, location=ready.location,
                            on=clinic_today(ready.location), electroacupuncture=False, point_codes=[])
    assert "Only a practitioner in the registry may needle." in result.problems


def test_an_old_screening_needs_todays_pre_treatment_check(ready):
    with signing.signing():  # arranging data signed earlier
        Screening.objects.update(signed_at=timezone.now() - timedelta(days=7))
    result = check(ready)
    assert "No pre-treatment check today: record one before needling." in result.problems


def test_a_change_at_the_pre_treatment_check_updates_the_profile(ready):
    import dataclasses

    from acuback.clinical.safety import answers_from_json, answers_to_json

    intake = Screening.objects.get()
    request = request_for(ready.practitioner)
    check_draft = services.screening_start(episode=intake.episode, kind="pre_treatment",
                                           request=request)
    changed = dataclasses.replace(answers_from_json(check_draft.answers),
                                  medication_classes=frozenset({"anticoagulant"}))
    services.screening_sign(screening=check_draft, answers=answers_to_json(changed),
                            expected_version=check_draft.version, referred_to="",
                            patient_told="", request=request,
                            changes={"medicines": True, "pregnancy": False, "symptoms": False,
                                     "red_flags": False})
    profile = safety_profile(patient=ready.patient, on=clinic_today(ready.location))
    assert any("Anticoagulant" in a for a in profile.missing_acknowledgements)
    assert not check(ready).allowed


def test_require_needling_allowed_raises_with_every_problem(world):
    with pytest.raises(NeedlingRefused) as excinfo:
        require_needling_allowed(patient=world.patient, practitioner=world.practitioner_record,
                                 location=world.location, on=clinic_today(world.location),
                                 electroacupuncture=True, point_codes=["CV8"])
    assert len(excinfo.value.problems) >= 3


def test_the_needling_check_page_refuses_unknown_points_on_the_field(ready, login):
    client = login(ready.practitioner)
    response = client.post(reverse("needling_check", args=[ready.patient.pk]),
                           {"location": ready.location.pk, "points": "BL23 XX9"})
    assert response.status_code == 400
    assert "Unknown point code: XX9." in response.context["form"].errors["points"]


def test_the_needling_check_page_shows_the_verdict(ready, login):
    client = login(ready.practitioner)
    response = client.post(reverse("needling_check", args=[ready.patient.pk]),
                           {"location": ready.location.pk, "points": "BL23, GV4"})
    assert "Needling may proceed" in response.content.decode()
