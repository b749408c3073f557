from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_an_emergency_at_intake_blocks_needling(world, page, log_in):
    # Front desk registers the patient.
    log_in("alpha_desk")
    page.goto("/patients/new/")
    page.fill("#id_given_name", "Ruth")
    page.fill("#id_family_name", "Calder")
    page.fill("#id_date_of_birth", "1971-09-30")
    page.click("button:has-text('Register')")
    assert "registered with MRN" in page.text_content(".messages")
    page.click("button:has-text('Log out')")

    # The practitioner opens an episode, marks the pain drawing and screens.
    log_in("alpha_prac")
    page.goto("/patients/?q=Calder")
    page.click("text=Calder, Ruth")
    page.click(".tabs >> text=Clinical record")
    page.click("text=Open an episode")
    page.fill("#id_onset_date", "2026-10-01")
    page.click(".body-map [data-region=back_lower_left]")  # the drawing ticks the checkbox
    assert page.is_checked("#region-back_lower_left")
    page.click("button:has-text('Open episode')")
    assert page.text_content("h1") == "Intake screening"

    page.check("input[name=saddle_numbness][value=yes]")
    page.check("input[name=bladder_disturbance][value=yes]")
    for name in ("bowel_disturbance", "bilateral_leg_weakness"):
        page.check(f"input[name={name}][value=no]")
    page.click("button:has-text('Save draft')")
    assert "Draft saved" in page.text_content(".messages")
    assert "So far: EMERGENCY referral" in page.text_content("main")

    page.click("button:has-text('Sign screening')")  # no referral details yet
    assert "The result is a referral: say where the patient was referred before signing." \
        in page.text_content("main")
    page.click("#error-summary a[href='#id_referred_to']")  # the list links to the question
    page.fill("#id_referred_to", "Emergency department")
    page.fill("#id_patient_told", "Go to the emergency department now; do not drive.")
    page.click("button:has-text('Sign screening')")
    assert "Screening signed." in page.text_content(".messages")

    page.click("text=Back to the clinical record")
    banner = page.text_content("[aria-label='Safety profile']")
    assert "EMERGENCY referral open" in banner and "not allowed" in banner

    page.click("text=Pre-needling check")
    page.select_option("#id_location", index=1)
    page.fill("#id_points", "BL23, GV4")
    page.click("button:has-text('Check planned needling')")
    result = page.text_content("#check-result")
    assert "Needling cannot be recorded" in result
    assert "EMERGENCY referral is open" in result

    page.goto(page.url.replace("needling-check/", ""))
    page.click("text=Referral letter")
    assert "Same day" in page.text_content("main")
    assert "Cauda equina syndrome" in page.text_content("main")
