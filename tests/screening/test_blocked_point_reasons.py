"""Issue #26 item 9, third pass: each blocked point shows its reason (on the banner of the
chart, the clinical record, the plan and the session page, and in every refusal), and the
blocked list is shown in full (it was cut off at 300 characters)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from acuback.patients.models import ConsentKind
from acuback.screening import services
from acuback.screening.enforcement import needling_check
from acuback.screening.selectors import safety_profile
from tests.factories import clinic_today, make_consent, make_signed_screening, request_for


@pytest.fixture
def pregnant_with_a_wound(world):
    make_consent(world.patient, world.practitioner)
    make_consent(world.patient, world.practitioner, ConsentKind.ELECTROACUPUNCTURE)
    screening = make_signed_screening(world.patient, world.practitioner, pregnant=True,
                                      gestational_weeks=20, has_skin_problem=True,
                                      skin_problem_regions=frozenset({"upper_limb"}))
    services.precautions_acknowledge(screening=screening,
                                     texts=list(screening.decision["acknowledgements"]),
                                     request=request_for(world.practitioner))
    return world


def test_each_blocked_point_has_its_own_reason(pregnant_with_a_wound):
    world = pregnant_with_a_wound
    profile = safety_profile(patient=world.patient, on=clinic_today(world.location))
    assert all(profile.reason_for(code) for code in profile.blocked_points)
    assert profile.reason_for("SP6").startswith("CI-PREGNANCY Pregnancy")
    assert "CI-SKIN" not in profile.reason_for("SP6")
    assert profile.reason_for("LI11") == "CI-SKIN Local skin problem (upper limb)"
    # LI4 lies on the hand: a pregnancy point and in the affected limb.
    assert "CI-PREGNANCY" in profile.reason_for("LI4") and "CI-SKIN" in profile.reason_for("LI4")
    assert profile.reason_for("CV8").startswith("CI-PROHIBITED")
    assert profile.reason_for("LR3") == ""


def test_a_refusal_names_the_reason(pregnant_with_a_wound):
    world = pregnant_with_a_wound
    result = needling_check(patient=world.patient, practitioner=world.practitioner_record,
                            location=world.location, on=clinic_today(world.location),
                            electroacupuncture=False, point_codes=["LI11", "BL23"])
    assert "LI11 (Quchi) is blocked for this patient: CI-SKIN Local skin problem " \
           "(upper limb)." in result.problems
    assert any(p.startswith("BL23 (Shenshu) is blocked for this patient: CI-PREGNANCY")
               for p in result.problems)


def test_the_banner_lists_every_blocked_point_with_its_reason_in_full(pregnant_with_a_wound,
                                                                      client):
    world = pregnant_with_a_wound
    client.force_login(world.practitioner)
    page = client.get(reverse("patient_clinical", args=[world.patient.pk])).content.decode()
    profile = safety_profile(patient=world.patient, on=clinic_today(world.location))
    assert len(", ".join(profile.blocked_points)) > 300  # the old banner cut this off
    for why, codes in profile.blocked_by:
        assert f"<strong>{', '.join(codes)}</strong>: {why}" in page
