"""Clinician re-test of issue #26 (item 7): "Start session from plan" pre-filled 15 mm /
0.25 mm for a patient whose precaution limits are 10 mm / 0.20 mm. Every pre-fill (from
the plan, or copied from the last session) starts within the patient's needle limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.safety import NEEDLE_LIMITS, needle_limit_problems, within_needle_limits
from acuback.screening import services as screening_services
from tests.factories import make_signed_screening, request_for
from tests.treatment.test_needle_sites import plan, save_and_sign, site, start


@pytest.fixture
def anticoagulated(ready):
    intake = make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                                   takes_listed_medicines=True,
                                   medication_classes=["anticoagulant"])
    screening_services.precautions_acknowledge(
        screening=intake, texts=list(intake.decision["acknowledgements"]),
        request=request_for(ready.practitioner))
    return ready


def rows(session):
    return list(session.insertions.values("point_code", "depth_mm", "gauge_mm"))


def test_start_from_plan_prefills_within_the_limits(anticoagulated):
    plan(anticoagulated, [{"code": "BL23", "side": "bilateral"},
                          {"code": "GB30", "side": "left"}])
    session = start(anticoagulated, source="plan")
    prefilled = rows(session)
    assert prefilled
    for row in prefilled:
        assert row["depth_mm"] <= Decimal("10") and row["gauge_mm"] <= Decimal("0.20"), row
    assert needle_limit_problems(["CI-ANTICOAG"], prefilled) == []


def test_a_copy_of_the_last_session_is_brought_within_new_limits(ready):
    first = start(ready)
    save_and_sign(ready, first, [site("BL23", depth_mm="25", gauge_mm="0.30", length_mm=40)],
                  removed=2)
    intake = make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                                   bleeding_disorder=True, referred_to="GP",
                                   patient_told="See your doctor first.")
    screening_services.referral_clear(
        screening=intake, rule_ids=["CI-BLEEDING"], kind="medical_clearance",
        note="Factor levels fine.", cleared_by_name="Dr Priya Raman (haematology)",
        cleared_on=intake.episode.opened_on,
        letter="Haematology clinic letter, scanned to documents.",
        request=request_for(ready.practitioner))
    screening_services.precautions_acknowledge(
        screening=intake, texts=list(intake.decision["acknowledgements"]),
        request=request_for(ready.practitioner))
    copied = rows(start(ready, source="last"))
    assert copied and all(r["depth_mm"] <= 10 and r["gauge_mm"] <= Decimal("0.20")
                          for r in copied), copied


@given(depth=st.decimals(0, 80, places=1), gauge=st.sampled_from(["0.16", "0.20", "0.25",
                                                                   "0.30", "0.35", None]),
       rules=st.sets(st.sampled_from(sorted(NEEDLE_LIMITS) + ["CI-DIABETES"])))
def test_a_clamped_row_never_breaks_a_limit_and_never_deepens(depth, gauge, rules):
    row = {"point_code": "BL23", "depth_mm": depth, "gauge_mm": gauge}
    clamped = within_needle_limits(sorted(rules), row)
    assert needle_limit_problems(sorted(rules), [clamped]) == [] or not rules & set(NEEDLE_LIMITS)
    assert Decimal(str(clamped["depth_mm"])) <= depth
