"""The patient's phone (issue #28 §5 and §7): the portal read and used at 390 x 844, in a
browser whose clock is neither the server's nor the clinic's."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BROWSER_TIME_ZONE

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
# Readable on a phone: no chart text smaller than this many CSS pixels (project rule:
# body text is 16 px; 11 px is the floor for a chart's tick labels and legend).
SMALLEST_CHART_TEXT_PX = 11


def _phone(browser, live_server, username: str):
    from tests.factories import PASSWORD

    context = browser.new_context(base_url=live_server.url, viewport=PHONE,
                                  timezone_id=BROWSER_TIME_ZONE)
    phone = context.new_page()
    phone.set_default_timeout(10_000)
    phone.goto("/login/")
    phone.fill("#id_username", username)
    phone.fill("#id_password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/")
    return context, phone


# Each text matplotlib draws is a group of glyphs scaled by (font size / 100); on the
# page the SVG is scaled again from its viewBox to its rendered width.
_CHART_TEXT_SIZES = """
() => [...document.querySelectorAll('.chart svg')].map((svg) => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('g[transform*="scale("]')].map((g) => {
    const m = /scale\\(([0-9.]+)/.exec(g.getAttribute('transform'));
    return parseFloat(m[1]) * 100 * scale;
  });
})
"""


def test_the_progress_chart_text_is_readable_on_a_phone(world, browser, live_server):
    from datetime import timedelta

    from django.utils import timezone

    from acuback.outcomes import services as outcomes
    from acuback.outcomes.models import QuestionnaireResponse
    from tests.factories import make_record, request_for

    make_record(world)
    later = outcomes.response_save(patient=world.patient, episode=world.episode,
                                   instrument_id="nrs", time_point="review", answers={1: 3},
                                   submit=True, completed_by="patient",
                                   request=request_for(world.practitioner))
    QuestionnaireResponse.objects.filter(pk=later.pk).update(
        submitted_at=timezone.now() + timedelta(days=28))
    context, phone = _phone(browser, live_server, "alpha_patient")
    phone.goto("/portal/progress/")
    sizes = phone.evaluate(_CHART_TEXT_SIZES)
    assert sizes and all(sizes), "a chart with its text"
    smallest = min(min(chart) for chart in sizes)
    phone.screenshot(path="test-artifacts/portal-progress-phone.png", full_page=True)
    assert smallest >= SMALLEST_CHART_TEXT_PX, f"chart text {smallest:.1f} px on a phone"
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    context.close()
