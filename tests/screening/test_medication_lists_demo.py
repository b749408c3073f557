"""Issue #26 item 4 in the demo: a patient on warfarin with an INR, one on combined
antithrombotics; the seeded plans and sessions obey each patient's own profile."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from acuback.clinical.safety import needle_limit_problems
from acuback.patients.models import Patient
from acuback.screening.selectors import safety_profile
from acuback.treatment.models import Session, TreatmentPlan
from tests.factories import clinic_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", "--if-empty", stdout=None)


def _profile(patient):
    return safety_profile(patient=patient, on=clinic_today(patient.clinic))


def test_the_warfarin_patient_has_an_inr_shown_with_its_age(demo):
    helen = Patient.objects.get(given_name="Helen", family_name="Dubois")
    assert [m.name for m in helen.medications.all()] == ["warfarin"]
    profile = _profile(helen)
    assert profile.needling_allowed
    assert any("INR 2.4 (6 days old)" in a for a in profile.required_acknowledgements)
    assert any(f["rule"] == "CI-ANTICOAG" for f in profile.findings)


def test_the_combined_antithrombotics_patient_waits_for_a_clearance(demo):
    arthur = Patient.objects.get(given_name="Arthur", family_name="Bell")
    profile = _profile(arthur)
    rules = {f["rule"] for f in profile.findings}
    assert {"CI-ANTITHROMBOTIC-2", "CI-HERB-BLEED", "CI-BLOOD-RESULTS"} <= rules
    assert not profile.needling_allowed


def test_seeded_plans_and_sessions_obey_each_patients_profile(demo):
    plans = TreatmentPlan.objects.select_related("patient", "patient__clinic")
    assert plans.exists()
    for plan in plans:
        profile = _profile(plan.patient)
        blocked = set(profile.blocked_points)
        assert not {row.get("code") for row in plan.prescription} & blocked, plan.patient
        rule_ids = [f["rule"] for f in profile.findings]
        # Adjunct therapies too, each with its region (issue #26 item 9).
        assert plan.adjuncts and profile.adjunct_problems(plan.adjuncts) == [], plan.patient
        for session in Session.objects.filter(patient=plan.patient):
            assert profile.adjunct_problems(session.adjuncts) == [], plan.patient
            rows = [{"point_code": i.point_code, "depth_mm": i.depth_mm,
                     "gauge_mm": i.gauge_mm} for i in session.insertions.all()]
            assert needle_limit_problems(rule_ids, rows) == [], plan.patient
