"""A draft session note saves itself while the practitioner types, and when they leave."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def draft(world):
    from acuback.treatment import services
    from tests.factories import make_consent, make_signed_screening, request_for

    make_consent(world.patient, world.practitioner)
    screening = make_signed_screening(world.patient, world.practitioner)
    # As the "Start session" button does: a blank draft with its first needle set.
    return services.session_start(episode=screening.episode,
                                  practitioner=world.practitioner_record,
                                  location=world.location,
                                  request=request_for(world.practitioner), source="blank")


def _open(page, draft):
    page.goto(f"/patients/{draft.patient_id}/sessions/{draft.pk}/")
    assert page.text_content("h1").startswith("Session")


def test_typing_is_autosaved_and_still_there_after_a_reload(draft, page, log_in):
    log_in("alpha_prac")
    _open(page, draft)
    page.fill("#id_subjective", "Pain 5/10 since Tuesday, eases with walking.")
    # The status says so once the server has the draft; no error, no "offline".
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"^autosaved"),
                                                          timeout=15_000)
    page.reload()
    assert page.input_value("#id_subjective") == "Pain 5/10 since Tuesday, eases with walking."
    draft.refresh_from_db()
    assert draft.subjective == "Pain 5/10 since Tuesday, eases with walking."


def test_leaving_with_unsaved_changes_warns_and_the_draft_is_saved_on_leaving(
        draft, page, log_in):
    log_in("alpha_prac")
    _open(page, draft)
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.accept()  # leave anyway

    page.on("dialog", on_dialog)
    page.fill("#id_assessment", "Lumbar strain, improving.")
    page.click("text=Back to the clinical record")  # before the autosave's delay is up
    page.wait_for_url(f"**/patients/{draft.patient_id}/clinical/")
    assert dialogs == ["beforeunload"]
    for _ in range(50):  # the page sent it as it went; the server may still be on it
        draft.refresh_from_db()
        if draft.assessment:
            break
        page.wait_for_timeout(100)
    _open(page, draft)
    assert page.input_value("#id_assessment") == "Lumbar strain, improving."


def test_saving_with_the_button_does_not_warn(draft, page, log_in):
    log_in("alpha_prac")
    _open(page, draft)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.fill("#id_plan_notes", "Review in two weeks.")
    page.click("button:has-text('Save draft')")
    assert "Draft saved." in page.text_content(".messages")
    assert dialogs == []
