"""Issue #28 §2, the front desk's calendar in a browser: the day as a time grid in the
location's zone (Vancouver; the server runs in Kiritimati, the browser in Kolkata), booking
by choosing a free time, at 1366 px and on a tablet, with and without JavaScript."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.scheduling.test_calendar_grid import arrange_day

pytestmark = pytest.mark.e2e

ARTIFACTS = "test-artifacts"


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_the_desk_books_a_free_time_from_the_day_grid(world, page, log_in):
    day = arrange_day(world)
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in("alpha_desk")
    page.goto(f"/calendar/?date={day.day.isoformat()}")
    grid = page.locator("table.cal-grid")
    assert "America/Vancouver" in grid.locator("caption").text_content()
    ten = grid.locator("tr", has=page.locator("th[scope=row]", has_text="10:00"))
    assert "Alice Archer" in ten.text_content() and "10:00–10:45" in ten.text_content()
    assert grid.locator(".visit-cancelled").text_content().count("Cancelled") == 1
    assert "No-show" in grid.locator(".visit-no_show").text_content()
    assert _no_sideways_scroll(page)
    page.screenshot(path=f"{ARTIFACTS}/calendar-day-grid-1366.png", full_page=True)

    # Bruno's cancelled 09:00 is free again: book Bruno there from the grid.
    grid.get_by_role("link", name="Book 09:00 with Mei Lin").click()
    assert "Time chosen on the calendar: 09:00" in page.text_content("#chosen-time")
    page.fill("#patient-q", "Baker")
    page.click("#patient-find")
    page.get_by_role("link", name="Bruno Baker").click()
    page.select_option("#id_type", str(day.type.pk))
    page.click("button:has-text('Show free times')")
    assert page.is_checked("input[name=start]:checked")
    assert "09:00" in page.locator("label.slot", has=page.locator("input:checked")).text_content()
    page.click("button:has-text('Book')")
    assert "Booked Bruno Baker" in page.text_content(".messages")
    nine = page.locator("table.cal-grid tr", has=page.locator("th[scope=row]", has_text="09:00"))
    assert nine.locator(".visit-booked", has_text="Bruno Baker").count() == 1
    assert nine.locator(".visit-cancelled", has_text="Bruno Baker").count() == 1

    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    page.reload()
    assert _no_sideways_scroll(page)
    assert page.locator(".cal-scroll").first.is_visible()
    page.screenshot(path=f"{ARTIFACTS}/calendar-day-grid-tablet.png", full_page=True)


def test_the_day_grid_works_without_javascript(world, browser, live_server):
    from tests.factories import PASSWORD

    day = arrange_day(world)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False,
                                  timezone_id="Asia/Kolkata")
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", "alpha_desk")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/calendar/?date={day.day.isoformat()}")
    page.get_by_role("link", name="Book 11:45 with Mei Lin").click()
    assert "Time chosen on the calendar: 11:45" in page.text_content("#chosen-time")
    context.close()


def test_the_desk_opens_a_practitioners_week_and_books_from_it(world, page, log_in):
    day = arrange_day(world)
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in("alpha_desk")
    page.goto(f"/calendar/week/?date={day.day.isoformat()}")
    page.select_option("#f-prac", str(day.practitioner_record.pk))
    page.click("button:has-text('Show')")
    grid = page.locator("table.cal-grid")
    assert grid.locator("thead th").count() == 8  # the time, then seven days
    assert "America/Vancouver" in grid.locator("caption").text_content()
    ten = grid.locator("tr", has=page.locator("th[scope=row]", has_text="10:00"))
    assert "Alice Archer" in ten.text_content()
    assert _no_sideways_scroll(page)
    page.screenshot(path=f"{ARTIFACTS}/calendar-week-grid-1366.png", full_page=True)
    # Another day of the same week (the day before, when the visit's day is a Sunday).
    after = day.day + timedelta(days=1 if day.day.weekday() < 6 else -1)
    grid.get_by_role("link", name=f"Book 09:30 on {after:%A %-d %B}").click()
    assert "Time chosen on the calendar: 09:30" in page.text_content("#chosen-time")
    assert page.input_value("#id_day") == after.isoformat()


def test_the_desk_moves_a_visit_by_dragging_it_and_a_refusal_puts_it_back(world, page, log_in):
    from playwright.sync_api import expect

    from acuback.scheduling.models import Appointment, WeeklyAvailability
    from tests.factories import make_appointment, make_practitioner

    day = arrange_day(world)
    colleague = make_practitioner(day.clinic)
    colleague.display_name = "Ann Other"
    colleague.save()
    WeeklyAvailability.objects.create(practitioner=colleague, location=day.location,
                                      weekday=day.day.weekday(), start_time=day.at(9).time(),
                                      end_time=day.at(12).time())
    make_appointment(day, start=day.at(9, 15), practitioner=colleague)  # Alice, with Ann
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in("alpha_desk")
    page.goto(f"/calendar/?date={day.day.isoformat()}")
    alice = f"#visit-{day.booked.pk}"

    def slot(hour, minute=0):
        return (f'a.free-slot[data-practitioner="{day.practitioner_record.pk}"]'
                f'[data-start="{day.at(hour, minute).isoformat()}"]')

    def row_of(selector) -> str:
        return page.locator(selector).locator("xpath=ancestor::tr[1]/th").text_content()

    # Onto 09:00 with Mei Lin: Alice is with Ann at 09:15 then. Refused, said, put back.
    page.drag_and_drop(alice, slot(9))
    page.wait_for_selector("#grid-status.refused")
    assert "already has a visit then" in page.text_content("#grid-status")
    assert "Ann Other" in page.text_content("#grid-status")
    assert row_of(alice) == "10:00"
    # Onto 11:45: 45 minutes do not fit before Mei Lin's day ends at 12:00.
    page.drag_and_drop(alice, slot(11, 45))
    expect(page.locator("#grid-status")).to_contain_text("outside the practitioner")
    assert row_of(alice) == "10:00"
    assert Appointment.objects.get(pk=day.booked.pk).status == "booked"
    page.screenshot(path=f"{ARTIFACTS}/calendar-move-refused.png", full_page=True)

    # Onto 11:00, the no-show's time: moved, and the grid is the server's again.
    page.drag_and_drop(alice, slot(11))
    expect(page.locator("#grid-status")).to_contain_text("Moved Alice Archer to")
    moved = Appointment.objects.get(patient=day.patient, practitioner=day.practitioner_record,
                                    status="booked")
    assert moved.start == day.at(11)
    assert row_of(f"#visit-{moved.pk}") == "11:00"
    assert "Moved to" in page.locator(f"#visit-{day.booked.pk}").text_content()
    assert "visit-moved" in page.get_attribute(f"#visit-{day.booked.pk}", "class")
    assert page.locator("table.day-view tbody tr", has_text="Moved to").count() == 1
    page.screenshot(path=f"{ARTIFACTS}/calendar-move-done.png", full_page=True)
