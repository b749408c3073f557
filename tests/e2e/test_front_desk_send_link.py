"""The front desk sends a patient the questionnaire link from today's arrivals
(issue #28 §3), in a browser on another clock than the server's and the clinic's."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_the_desk_sends_the_link_beside_the_need_and_is_told_where_it_went(world, page,
                                                                          log_in):
    from datetime import datetime, time

    from acuback.accounts import zones
    from acuback.scheduling.models import Notification
    from tests.factories import clinic_today, make_appointment, make_episode

    world.patient.email = "alice@example.com"
    world.patient.save()
    make_episode(world.patient, world.practitioner)
    make_appointment(world, start=datetime.combine(clinic_today(world.location), time(0, 5),
                                                   tzinfo=zones.zone_of(world.location)))
    log_in("alpha_desk")
    need = page.locator("#arrivals ul.needs li", has_text="Baseline questionnaires")
    need.locator("button:has-text('Send the link')").click()
    assert "on its way to a…@example.com" in page.text_content(".messages")
    assert Notification.objects.get().to == "alice@example.com"
    page.screenshot(path="test-artifacts/front-desk-send-link.png", full_page=True)
