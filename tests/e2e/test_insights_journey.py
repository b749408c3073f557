from __future__ import annotations

import pytest

from acuback import signing

pytestmark = pytest.mark.e2e


def test_the_admin_filters_the_dashboard_and_downloads_a_progress_report(world, page, log_in):
    from django.utils import timezone

    from acuback.outcomes import services as outcomes
    from acuback.treatment.models import Session
    from tests.factories import make_episode, make_session, request_for

    episode = make_episode(world.patient, world.practitioner, diagnosis_codes=["M54.50"])
    session = make_session(world.patient, world.practitioner_record, world.location,
                           episode=episode)
    with signing.signing():  # arranging data signed earlier
        Session.objects.filter(pk=session.pk).update(status="signed", signed_at=timezone.now())
    request = request_for(world.practitioner)
    for time_point, value in (("baseline", 8), ("review", 4)):
        outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                               time_point=time_point, answers={1: value}, submit=True,
                               completed_by="staff", request=request)

    log_in("alpha_admin")
    page.goto("/insights/")
    page.select_option("#p", str(world.practitioner_record.pk))
    page.click("button:has-text('Show')")
    first = page.locator("#responders tbody tr").first.text_content()
    assert "Pain (NRS)" in first and "Review" in first and "100 %" in first

    page.goto(f"/patients/{world.patient.pk}/clinical/")
    page.click("text=Progress report")
    page.fill("#id_to_name", "Dr Jane Roe")  # the addressee, chosen when it is made
    with page.expect_download() as download:
        page.click("button:has-text('Make the PDF')")
    path = download.value.path()
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_the_admin_recomputes_figures_that_are_being_reused(world, page, log_in, settings):
    from acuback.outcomes import services as outcomes
    from tests.factories import make_episode, request_for

    settings.ACUBACK_DASHBOARD_CACHE_SECONDS = 300
    episode = make_episode(world.patient, world.practitioner)
    request = request_for(world.practitioner)

    def score(time_point, value):
        outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                               time_point=time_point, answers={1: value}, submit=True,
                               completed_by="staff", request=request)

    score("baseline", 8)
    log_in("alpha_admin")
    page.goto("/insights/")
    assert "reused for up to 5 minutes" in page.locator("#figures-age").text_content()
    review = page.locator("#responders tbody tr").nth(0)
    assert "Review" in review.text_content() and "—" in review.text_content()
    score("review", 4)
    page.reload()
    assert "—" in page.locator("#responders tbody tr").nth(0).text_content()  # still reused
    page.click("button:has-text('Recompute now')")
    assert "100 %" in page.locator("#responders tbody tr").nth(0).text_content()
    page.screenshot(path="test-artifacts/dashboard-recomputed.png", full_page=True)
