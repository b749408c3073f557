"""Clinician re-test of issue #26: an acupuncturist cleared a bleeding disorder and a
cauda equina emergency by her own "reasoned decision to proceed", with no letter, and
needling became allowed. A finding whose rule needs medical (physician, specialist)
clearance, and every URGENT or EMERGENCY red flag, is lifted only by a medical clearance
that names the clearing clinician, its date and its letter; on every path."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.safety import RULES, Outcome, needs_medical_clearance
from acuback.patients.models import ConsentKind
from acuback.screening import services
from acuback.screening.enforcement import needling_check
from acuback.screening.models import ReferralClearance
from tests.factories import (
    clinic_today,
    make_consent,
    make_episode,
    make_signed_screening,
    request_for,
)

# Each raises a finding that only a medical clearance lifts (safety.md §1.1, §3.1, §3.2).
MEDICAL_ONLY = [
    ({"bleeding_disorder": True}, "CI-BLEEDING"),
    ({"spinal_instability": True}, "CI-SPINE"),
    ({"severe_neutropenia": True}, "CI-NEUTROPENIA"),
    ({"unstable_condition": True}, "CI-UNSTABLE"),
    ({"involuntary_movements": True}, "CI-MOVEMENT"),
    ({"bladder_disturbance": True}, "RF-01"),  # EMERGENCY
    ({"major_trauma": True}, "RF-07"),  # EMERGENCY
    ({"history_of_cancer": True, "new_episode": True}, "RF-04"),  # URGENT
]


@pytest.fixture
def ready(world):
    make_consent(world.patient, world.practitioner)
    make_consent(world.patient, world.practitioner, ConsentKind.ELECTROACUPUNCTURE)
    world.episode = make_episode(world.patient, world.practitioner)
    return world


def check(world):
    return needling_check(patient=world.patient, practitioner=world.practitioner_record,
                          location=world.location, on=clinic_today(world.location),
                          electroacupuncture=True, point_codes=[])


def intake(world, **answers):
    return make_signed_screening(world.patient, world.practitioner, episode=world.episode,
                                 referred_to="GP", patient_told="See your doctor.", **answers)


def reasoned(world, screening, rule, letter=""):
    return services.referral_clear(
        screening=screening, rule_ids=[rule], kind="reasoned_decision",
        note="Patient is keen to proceed; I judge it safe.", cleared_by_name="Mei Lin, L.Ac.",
        cleared_on=timezone.localdate(), letter=letter, request=request_for(world.practitioner))


@pytest.mark.parametrize(("answers", "rule"), MEDICAL_ONLY)
def test_a_practitioners_reasoned_decision_cannot_clear_what_needs_a_doctor(ready, answers,
                                                                           rule):
    screening = intake(ready, **answers)
    with pytest.raises(services.IncompleteClearance) as refused:
        reasoned(ready, screening, rule, letter="My own note.")
    assert "medical clearance" in refused.value.missing["kind"]
    assert not ReferralClearance.objects.exists()
    assert not check(ready).allowed


@pytest.mark.parametrize(("answers", "rule"), MEDICAL_ONLY)
def test_a_reasoned_decision_already_stored_does_not_lift_it(ready, answers, rule):
    """Rows written before the rule (the demo's mlin case) are read as not clearing."""
    screening = intake(ready, **answers)
    finding = next(f for f in screening.decision["findings"] if f["rule"] == rule)
    ReferralClearance.objects.create(screening=screening, rule_id=rule,
                                     raised_by=finding["note"], kind="reasoned_decision",
                                     cleared_by_name="M Lin", cleared_on=timezone.localdate(),
                                     note="Own decision.", recorded_by=ready.practitioner)
    result = check(ready)
    assert not result.allowed
    assert not result.profile.cleared_findings


def test_the_same_finding_clears_with_the_doctors_letter(ready):
    screening = intake(ready, bleeding_disorder=True)
    services.referral_clear(screening=screening, rule_ids=["CI-BLEEDING"],
                            kind="medical_clearance", note="Factor levels normal.",
                            cleared_by_name="Dr Anna Haem (haematology)",
                            cleared_on=timezone.localdate(),
                            letter="Letter of Dr Haem, filed.",
                            request=request_for(ready.practitioner))
    held = check(ready)
    # The hold is lifted; the bleeding precaution stays to be acknowledged.
    assert [p for p in held.problems if "Bleeding disorder" in p] == list(held.problems)
    services.precautions_acknowledge(screening=screening,
                                     texts=list(screening.decision["acknowledgements"]),
                                     request=request_for(ready.practitioner))
    result = check(ready)
    assert result.allowed, result.problems


def test_consent_capacity_is_still_cleared_by_a_reasoned_decision(ready):
    """Not a medical question: the practitioner records that valid consent was given."""
    screening = intake(ready, cannot_consent=True)
    reasoned(ready, screening, "CI-CONSENT")
    assert check(ready).allowed


def test_the_web_form_refuses_a_reasoned_decision_naming_the_field(ready, client):
    screening = intake(ready, bleeding_disorder=True)
    client.force_login(ready.practitioner)
    url = reverse("referral_clear", args=[ready.patient.pk, screening.pk])
    response = client.post(url, {"rules": ["CI-BLEEDING"], "kind": "reasoned_decision",
                                 "cleared_by_name": "M Lin", "allows": "needling",
                                 "cleared_on": timezone.localdate().isoformat(),
                                 "note": "My decision."})
    assert response.status_code == 400
    assert not ReferralClearance.objects.exists()
    assert "How it was cleared" in response.content.decode()


@given(st.sampled_from([r.id for r in RULES]),
       st.sampled_from([Outcome.URGENT, Outcome.EMERGENCY]))
def test_every_urgent_or_emergency_finding_needs_a_medical_clearance(rule_id, outcome):
    assert needs_medical_clearance(rule_id, outcome)
