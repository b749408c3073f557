"""The patient's phone (issue #28 §5 and §7): the portal read and used at 390 x 844, in a
browser whose clock is neither the server's nor the clinic's."""

from __future__ import annotations

import re

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


def _vancouver(world):
    from datetime import time

    from acuback.accounts.models import Location
    from acuback.scheduling.models import AppointmentType, WeeklyAvailability

    vancouver = Location.objects.create(
        clinic=world.clinic, name="Vancouver – Main Street", address_line1="1101 Main St",
        city="Vancouver", region="WA", jurisdiction=world.location.jurisdiction,
        time_zone="America/Vancouver")
    first = AppointmentType.objects.create(clinic=world.clinic, name="Initial assessment",
                                           kind="initial", duration_minutes=60)
    follow_up = AppointmentType.objects.create(clinic=world.clinic, name="Follow-up",
                                               kind="follow_up", duration_minutes=30)
    for weekday in range(7):
        WeeklyAvailability.objects.create(practitioner=world.practitioner_record,
                                          location=vancouver, weekday=weekday,
                                          start_time=time(13), end_time=time(16))
    return vancouver, first, follow_up


def test_a_new_patient_books_on_a_phone_and_every_step_says_when_and_where(world, browser,
                                                                           live_server):
    """Vancouver's 13:30, booked from a browser in Kolkata on a server on another clock:
    each step restates it with the address; the end has what to bring and a calendar
    file for that same 13:30."""
    from datetime import datetime, time, timedelta

    import icalendar
    from django.core import mail

    from acuback.accounts import zones

    vancouver, first, follow_up = _vancouver(world)
    day = zones.today_at(vancouver) + timedelta(days=3)
    expected = datetime.combine(day, time(13, 30), tzinfo=zones.zone_of(vancouver))
    when = f"13:30 {expected.tzname()}"

    context = browser.new_context(base_url=live_server.url, viewport=PHONE,
                                  timezone_id=BROWSER_TIME_ZONE, accept_downloads=True)
    phone = context.new_page()
    phone.goto(f"/portal/book/{world.clinic.slug}/new/")
    offered = phone.locator("#id_type option").all_text_contents()
    assert "Follow-up" not in " ".join(offered) and any("Initial" in o for o in offered)
    phone.select_option("#id_location", str(vancouver.pk))
    phone.select_option("#id_type", str(first.pk))
    phone.fill("#id_day", day.isoformat())
    phone.click("button:has-text('Show free times')")
    phone.check("label.slot:has-text('13:30') input")
    phone.click("button:has-text('Choose this time')")

    def says_when_and_where(step: str):
        text = " ".join(phone.text_content("main").split())
        assert when in text and "1101 Main St" in text, f"{step}: {text[:300]}"

    says_when_and_where("your details")
    phone.fill("#id_given_name", "Nia")
    phone.fill("#id_family_name", "Obi")
    phone.fill("#id_date_of_birth", "1979-04-02")
    phone.fill("#id_email", "nia@example.com")
    phone.fill("#id_onset_date", "2026-06-01")
    phone.click("button:has-text('Book')")
    says_when_and_where("request sent")
    link = re.search(r"https?://[^/\s]+(/portal/book/confirm/\S+/)",
                     mail.outbox[-1].body).group(1)
    phone.goto(link)
    says_when_and_where("confirm")
    phone.click("button:has-text('Confirm my booking')")
    says_when_and_where("booked")
    assert phone.is_visible("text=What to bring")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    phone.screenshot(path="test-artifacts/public-booking-confirmed-phone.png", full_page=True)
    with phone.expect_download() as download:
        phone.click("text=Add to my calendar")
    calendar = icalendar.Calendar.from_ical(download.value.path().read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == expected
    assert event["dtstart"].params["TZID"] == "America/Vancouver"
    assert f"DTSTART;TZID=America/Vancouver:{day:%Y%m%d}T133000" in calendar.to_ical().decode()
    context.close()


def test_a_patient_cancels_only_after_saying_yes_and_sees_the_visit_moved(world, browser,
                                                                          live_server):
    from datetime import datetime, time, timedelta

    from acuback.accounts import zones
    from acuback.scheduling.models import Appointment
    from tests.factories import make_appointment

    vancouver, first, follow_up = _vancouver(world)
    day = zones.today_at(vancouver) + timedelta(days=4)
    tz = zones.zone_of(vancouver)
    visit = make_appointment(world, start=datetime.combine(day, time(14), tzinfo=tz),
                             location=vancouver, type=follow_up)
    world.clinic.phone = "+1 360 555 0100"
    world.clinic.save()
    context, phone = _phone(browser, live_server, "alpha_patient")
    assert phone.locator('a[href="tel:+13605550100"]').count() >= 1
    phone.click("text=Cancel")
    assert "Cancel this appointment?" in phone.text_content("h1")
    assert "14:00" in phone.text_content("main") and "1101 Main St" in phone.text_content("main")
    phone.click("text=No, keep it")
    visit.refresh_from_db()
    assert visit.status == "booked"

    phone.click("text=Move")
    assert f"now {zones.local_text(visit.start, vancouver)}" in " ".join(
        phone.text_content("main").split())
    phone.fill("#day", day.isoformat())
    phone.click("button:has-text('Show free times')")
    phone.check("label.slot:has-text('15:00') input")
    phone.click("button:has-text('Move to this time')")
    assert "moved" in phone.text_content(".messages")
    visit.refresh_from_db()
    moved_to = Appointment.objects.exclude(pk=visit.pk).get()
    assert visit.status == "moved" and visit.moved_to == moved_to
    assert moved_to.start == datetime.combine(day, time(15), tzinfo=tz)

    phone.click("text=Cancel")
    phone.click("button:has-text('Yes, cancel this appointment')")
    moved_to.refresh_from_db()
    assert moved_to.status == "cancelled"
    context.close()
