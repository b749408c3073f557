from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture
def ready(world):
    from tests.factories import make_consent, make_signed_screening

    make_consent(world.patient, world.practitioner)
    make_signed_screening(world.patient, world.practitioner)
    return world


def test_a_full_session_from_plan_reconciled_signed_and_amended(ready, page, log_in):
    log_in("alpha_prac")
    page.goto(f"/patients/{ready.patient.pk}/clinical/")
    page.click("text=Write a plan")
    page.select_option("#id_style", "tcm")
    page.fill("#id_rationale", "Kidney deficiency; local and distal points.")
    page.fill("#id_planned_sessions", "8")
    page.fill("#id_sessions_per_week", "1")
    page.fill("#id_prescription", "UB23 bilateral\nGV4\nAshi: left L4 paraspinal")
    page.fill("#id_review_date", "2027-01-15")
    page.click("button:has-text('Save plan')")
    assert "Treatment plan saved." in page.text_content(".messages")

    page.click("button:has-text('Start session from plan')")
    assert page.text_content("h1").startswith("Session")
    assert page.input_value("#id_ins-0-point_code") == "BL23"  # alias normalised in the plan
    page.fill("#id_subjective", "Pain 6/10, worse in the mornings.")
    page.fill("#id_pain_before", "6")
    page.fill("#id_pain_after", "3")
    page.fill("#id_needles_removed", "3")  # one short: BL23 bilateral + GV4 + Ashi = 4
    page.click("button:has-text('Sign session')")
    assert "does not reconcile: 4 inserted, 3 removed" in page.text_content(".messages")

    page.fill("#id_needles_removed", "4")
    page.click("button:has-text('Sign session')")
    assert "Session signed." in page.text_content(".messages")
    assert "BL23 bilat." in page.text_content("main")
    assert page.locator("#session-form").count() == 0  # no way to edit a signed session

    page.fill("#id_text", "Patient phoned next day: small bruise at left BL23, resolved.")
    page.click("button:has-text('Add addendum')")
    assert "Addendum added." in page.text_content(".messages")
    assert "small bruise at left BL23" in page.text_content(".addendum")

    page.click("text=Back to the clinical record")
    assert "BL23 bilat., GV4, Ashi: left L4 paraspinal L" in page.text_content(".timeline")


def test_a_chest_wall_point_past_its_ceiling_is_named_then_acknowledged(ready, page, log_in):
    from tests.factories import make_consent

    make_consent(ready.patient, ready.practitioner, "electroacupuncture")
    log_in("alpha_prac")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/patients/{ready.patient.pk}/clinical/")
    page.click("text=Write a plan")
    page.select_option("#id_style", "tcm")
    page.fill("#id_rationale", "Shoulder and low back.")
    page.fill("#id_planned_sessions", "8")
    page.fill("#id_sessions_per_week", "1")
    page.fill("#id_prescription", "GB21 left\nBL23 bilateral\nBL25 bilateral")
    page.check("#id_planned_electroacupuncture")
    page.fill("#id_ea_pairs", "LI4 left - LI4 right")
    page.fill("#id_review_date", "2027-01-15")
    page.click("button:has-text('Save plan')")
    assert "LI4 left ↔ LI4 right refused" in page.text_content("main")
    page.fill("#id_ea_pairs", "BL23 bilateral - BL25")
    assert "Read the cautions of GB21" in page.text_content("main")
    assert "Jianjing" in page.text_content("#point-cautions")
    page.check("#id_acknowledge_cautions")
    page.click("button:has-text('Save plan')")
    assert "Treatment plan saved." in page.text_content(".messages")

    page.click("button:has-text('Start session from plan')")
    assert page.input_value("#id_ins-0-point_code") == "GB21"
    assert float(page.input_value("#id_ins-0-depth_mm")) < 14.6  # within its ceiling
    assert page.input_value("#id_ins-0-angle") == "oblique"
    assert "Point cautions" in page.text_content("#point-cautions")
    page.fill("#id_ins-0-depth_mm", "20")
    page.fill("#id_needles_removed", "5")
    page.click("button:has-text('Sign session')")
    summary = page.text_content(".errorbox")
    assert "Needle site 1, Depth (mm): GB21 left: 20 mm is deeper than the 14.6 mm ceiling" \
        in summary
    page.screenshot(path="test-artifacts/session-needle-site-caution.png", full_page=True)

    page.check("#id_ins-0-caution_acknowledged")
    page.click("button:has-text('Sign session')")
    assert "pneumothorax symptom check" in page.text_content(".messages")
    page.select_option("#id_chest_check", "clear")
    page.click("button:has-text('Sign session')")
    assert "Session signed." in page.text_content(".messages")
    assert "caution acknowledged" in page.text_content("main")
