from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

pytestmark = pytest.mark.e2e


def test_a_patient_books_on_a_phone_gets_a_reminder_and_the_desk_sees_it(world, browser,
                                                                          live_server, page,
                                                                          log_in):
    from django.core import mail
    from django.utils import timezone

    from acuback.scheduling import notifications
    from acuback.scheduling.models import AppointmentType, WeeklyAvailability

    world.patient_user.email = world.patient.email = "alice@example.com"
    world.patient_user.save()
    world.patient.save()
    kind = AppointmentType.objects.create(clinic=world.clinic, name="Follow-up",
                                          kind="follow_up", duration_minutes=45)
    for weekday in range(7):
        WeeklyAvailability.objects.create(practitioner=world.practitioner_record,
                                          location=world.location, weekday=weekday,
                                          start_time=time(9), end_time=time(12))
    day = timezone.localdate() + timedelta(days=2)

    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto("/portal/login/")
    phone.fill("#id_email", "alice@example.com")
    phone.click("button:has-text('Send me a link')")
    assert "login link is on its way" in phone.text_content("main")
    from tests.queued_tasks import run_queued_tasks

    run_queued_tasks()  # what `acuback worker` does: look the address up, send the link
    link = re.search(r"https?://[^/]+(/portal/magic/\S+/)", mail.outbox[-1].body).group(1)
    phone.goto(link)
    assert "Hello, Alice" in phone.text_content("main")

    phone.click("text=Book an appointment")
    phone.select_option("#id_location", str(world.location.pk))
    phone.select_option("#id_type", str(kind.pk))
    phone.fill("#id_day", day.isoformat())
    phone.click("button:has-text('Show free times')")
    phone.check("input[name=start] >> nth=4")  # 10:00
    phone.click("button:has-text('Book with')")
    assert "Booked: Follow-up" in phone.text_content(".messages")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    context.close()

    from acuback.scheduling.models import Appointment

    booked = Appointment.objects.get()
    notifications.tick(now=booked.start - timedelta(hours=23))  # the worker's pass, a day before
    reminder = next(m for m in mail.outbox if "your appointment" in m.subject)
    assert reminder.to == ["alice@example.com"]
    assert reminder.attachments[0][0] == "appointment.ics"

    log_in("alpha_desk")
    page.goto(f"/calendar/?date={day.isoformat()}")
    row = page.locator("table.day-view tbody tr").first
    assert "Alice Archer" in row.text_content() and "10:00" in row.text_content()


def _confirm_from_the_e_mail(phone, when: str) -> None:
    """Open the link the booking request e-mailed, on the same phone, and confirm."""
    from django.core import mail

    request_mail = mail.outbox[-1]
    assert "confirm your booking" in request_mail.subject and when in request_mail.body
    link = re.search(r"https?://[^/\s]+(/portal/book/confirm/\S+/)", request_mail.body).group(1)
    phone.goto(link)
    assert when in phone.text_content("main")
    phone.click("button:has-text('Confirm my booking')")
    assert "You are booked" in phone.text_content("main") and when in phone.text_content("main")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_a_new_patient_books_online_on_a_phone_and_the_desk_sees_it(world, browser, live_server,
                                                                    page, log_in):
    from django.core import mail
    from django.utils import timezone

    from acuback.scheduling import notifications
    from acuback.scheduling.models import Appointment, AppointmentType, WeeklyAvailability

    kind = AppointmentType.objects.create(clinic=world.clinic, name="Initial assessment",
                                          kind="initial", duration_minutes=60)
    for weekday in range(7):
        WeeklyAvailability.objects.create(practitioner=world.practitioner_record,
                                          location=world.location, weekday=weekday,
                                          start_time=time(9), end_time=time(12))
    day = timezone.localdate() + timedelta(days=3)

    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(f"/portal/book/{world.clinic.slug}/new/")
    phone.select_option("#id_location", str(world.location.pk))
    phone.select_option("#id_type", str(kind.pk))
    phone.fill("#id_day", day.isoformat())
    phone.click("button:has-text('Show free times')")
    phone.check("input[name=start] >> nth=0")  # 09:00
    phone.click("button:has-text('Choose this time')")
    phone.fill("#id_given_name", "Nia")
    phone.fill("#id_family_name", "Obi")
    phone.fill("#id_date_of_birth", "2999-01-01")  # wrong first
    phone.fill("#id_email", "nia@example.com")
    phone.fill("#id_onset_date", "2026-06-01")
    phone.click("button:has-text('Book')")
    assert "cannot be in the future" in phone.text_content("main")
    phone.fill("#id_date_of_birth", "1979-04-02")
    phone.click("button:has-text('Book')")
    assert "open it and confirm to book" in phone.text_content("main")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert not Appointment.objects.exists()  # held, not booked, until the link is used
    _confirm_from_the_e_mail(phone, "at 09:00")
    context.close()
    confirmation = mail.outbox[-1]
    assert confirmation.to == ["nia@example.com"] and "/q/" in confirmation.body

    booked = Appointment.objects.get(patient__family_name="Obi")
    notifications.tick(now=booked.start - timedelta(hours=23), invitations=False)
    reminder = next(m for m in mail.outbox if "your appointment on" in m.subject)
    assert reminder.attachments[0][0] == "appointment.ics"

    log_in("alpha_desk")
    page.goto(f"/calendar/?date={day.isoformat()}")
    row = page.locator("table.day-view tbody tr").first
    assert "Nia Obi" in row.text_content() and "09:00" in row.text_content()
    assert "intake screening" in row.text_content()  # what the visit still needs


def test_the_desk_checks_in_completes_undoes_and_cancels_from_the_day_view(world, page,
                                                                           log_in):
    from datetime import datetime

    import time_machine

    from acuback.accounts import zones
    from acuback.scheduling.models import Appointment
    from tests.factories import make_appointment

    tz = zones.zone_of(world.location)
    day = zones.today_at(world.location) + timedelta(days=1)
    first = make_appointment(world, start=datetime.combine(day, time(9), tzinfo=tz))
    second = make_appointment(world, start=datetime.combine(day, time(11), tzinfo=tz),
                              patient=world.other_patient)
    log_in("alpha_desk")
    page.goto(f"/calendar/?date={day.isoformat()}")
    rows = page.locator("table.day-view tbody tr")
    assert "09:00–09:45" in rows.nth(0).text_content()
    # Tomorrow's visits can be cancelled, not checked in or completed.
    assert rows.nth(0).locator("button:has-text('Check in')").count() == 0
    assert rows.nth(0).locator("summary:has-text('Cancel')").count() == 1

    # On the day (the server's clock moved to 08:30 at the clinic; the browser's session
    # is logged in again, since its cookie's idle timeout follows the server's clock).
    with time_machine.travel(datetime.combine(day, time(8, 30), tzinfo=tz)):
        log_in("alpha_desk")
        page.goto(f"/calendar/?date={day.isoformat()}")
        rows.nth(0).locator("button:has-text('Check in')").click()
        page.wait_for_load_state()
        assert "Checked in" in rows.nth(0).text_content()
        assert Appointment.objects.get(pk=first.pk).status == "checked_in"
        assert Appointment.objects.get(pk=second.pk).status == "booked"  # only that row's
        rows.nth(0).locator("button:has-text('Complete')").click()
        page.wait_for_load_state()
        assert Appointment.objects.get(pk=first.pk).status == "completed"
        rows.nth(0).locator("button:has-text('Undo completion')").click()  # a slip: undone
        page.wait_for_load_state()
        assert Appointment.objects.get(pk=first.pk).status == "checked_in"
        assert "Complete" in rows.nth(0).text_content()

        row = page.locator("table.day-view tbody tr", has_text="Bruno Baker")
        row.locator("summary").click()
        row.locator("button:has-text('Cancel appointment')").click()  # no reason: it asks
        assert Appointment.objects.get(pk=second.pk).status == "booked"
        row.locator("input[name=reason]").fill("Patient phoned: unwell")
        row.locator("button:has-text('Cancel appointment')").click()
        page.wait_for_load_state()
        assert "Patient phoned: unwell" in page.locator("table.day-view").text_content()
        assert Appointment.objects.get(pk=second.pk).status == "cancelled"
        page.screenshot(path="test-artifacts/day-view-actions.png", full_page=True)


def test_a_time_booked_in_vancouver_is_that_time_everywhere(world, browser, live_server, page,
                                                            log_in):
    """Server (UTC+14), UTC, the clinic (Chicago), the browser (Kolkata) and the location
    (Vancouver) are all on different clocks: 13:30 at the location is 13:30 on every page
    and in every message, which say whose 13:30 it is."""
    from datetime import datetime

    from django.core import mail

    from acuback.accounts import zones
    from acuback.accounts.models import Location
    from acuback.scheduling import notifications
    from acuback.scheduling.models import Appointment, AppointmentType, WeeklyAvailability

    vancouver = Location.objects.create(
        clinic=world.clinic, name="Vancouver – Main Street", address_line1="1101 Main St",
        city="Vancouver", region="WA", jurisdiction=world.location.jurisdiction,
        time_zone="America/Vancouver")
    kind = AppointmentType.objects.create(clinic=world.clinic, name="Initial assessment",
                                          kind="initial", duration_minutes=60)
    for weekday in range(7):
        WeeklyAvailability.objects.create(practitioner=world.practitioner_record,
                                          location=vancouver, weekday=weekday,
                                          start_time=time(13), end_time=time(16))
    day = zones.today_at(vancouver) + timedelta(days=3)
    expected = datetime.combine(day, time(13, 30), tzinfo=zones.zone_of(vancouver))
    zone = expected.tzname()  # PST or PDT

    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Kolkata",
                                  viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(f"/portal/book/{world.clinic.slug}/new/")
    phone.select_option("#id_location", str(vancouver.pk))
    phone.select_option("#id_type", str(kind.pk))
    phone.fill("#id_day", day.isoformat())
    phone.click("button:has-text('Show free times')")
    assert f"local time at Vancouver – Main Street ({zone}" in phone.text_content("main")
    assert phone.locator("label.slot").first.text_content().strip() == "13:00"
    phone.check("label.slot:has-text('13:30') input")
    phone.click("button:has-text('Choose this time')")
    assert f"at 13:30 {zone}" in phone.text_content("main")
    phone.fill("#id_given_name", "Nia")
    phone.fill("#id_family_name", "Obi")
    phone.fill("#id_date_of_birth", "1979-04-02")
    phone.fill("#id_email", "nia@example.com")
    if phone.locator("#id_phone").count():
        phone.fill("#id_phone", "+1 360 555 0199")
    phone.fill("#id_onset_date", "2026-06-01")
    phone.click("button:has-text('Book')")
    # The page says the same for a known address (issue #25 §9): the e-mailed link books.
    assert "have sent a link to the address" in phone.text_content("main")
    assert phone.title().startswith("Booking request received")
    phone.screenshot(path="test-artifacts/public-booking-vancouver-phone.png", full_page=True)
    _confirm_from_the_e_mail(phone, f"at 13:30 {zone}")
    context.close()

    booked = Appointment.objects.get(patient__family_name="Obi")
    assert booked.start == expected and booked.location == vancouver
    confirmation = next(m for m in mail.outbox if "your appointment and intake" in m.subject)
    assert f"at 13:30 {zone} at Vancouver – Main Street" in confirmation.body

    booked.patient.phone = booked.patient.phone or "+1 360 555 0199"
    booked.patient.save()
    notifications.tick(now=booked.start - timedelta(hours=23), invitations=False)
    reminder = next(m for m in mail.outbox if "your appointment on" in m.subject)
    assert f"at 13:30 {zone} at Vancouver – Main Street" in reminder.body
    ics = reminder.attachments[0][1]
    assert f"DTSTART;TZID=America/Vancouver:{day:%Y%m%d}T133000" in ics
    sms = booked.notifications.get(channel="sms")
    assert f"at 13:30 {zone} at Vancouver – Main Street" in sms.body

    log_in("alpha_desk")
    page.goto(f"/calendar/?date={day.isoformat()}")
    row = page.locator("table.day-view tbody tr", has_text="Nia Obi")
    assert "13:30–14:30" in row.text_content() and "Vancouver" in row.text_content()
    page.goto(f"/calendar/week/?date={day.isoformat()}")
    assert "13:30 Nia Obi" in " ".join(page.text_content("main").split())
