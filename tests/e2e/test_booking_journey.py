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
    assert "it confirms your appointment" in phone.text_content("main")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
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


def test_the_desk_checks_in_completes_and_cancels_from_the_day_view(world, page, log_in):
    from datetime import datetime

    from django.utils import timezone

    from acuback.scheduling.models import Appointment
    from tests.factories import make_appointment

    day = timezone.localdate() + timedelta(days=1)
    tz = timezone.get_current_timezone()
    first = make_appointment(world, start=datetime.combine(day, time(9), tzinfo=tz))
    second = make_appointment(world, start=datetime.combine(day, time(11), tzinfo=tz),
                              patient=world.other_patient)
    log_in("alpha_desk")
    page.goto(f"/calendar/?date={day.isoformat()}")
    rows = page.locator("table.day-view tbody tr")
    assert "09:00–09:45" in rows.nth(0).text_content()
    rows.nth(0).locator("button:has-text('Check in')").click()
    page.wait_for_load_state()
    assert "Checked in" in rows.nth(0).text_content()
    assert Appointment.objects.get(pk=first.pk).status == "checked_in"
    assert Appointment.objects.get(pk=second.pk).status == "booked"  # only that row's button
    rows.nth(0).locator("button:has-text('Complete')").click()
    page.wait_for_load_state()
    assert Appointment.objects.get(pk=first.pk).status == "completed"

    row = page.locator("table.day-view tbody tr", has_text="Bruno Baker")
    row.locator("summary").click()
    row.locator("button:has-text('Cancel appointment')").click()  # no reason: the browser asks
    assert Appointment.objects.get(pk=second.pk).status == "booked"
    row.locator("input[name=reason]").fill("Patient phoned: unwell")
    row.locator("button:has-text('Cancel appointment')").click()
    page.wait_for_load_state()
    assert "Patient phoned: unwell" in page.locator("table.day-view").text_content()
    assert Appointment.objects.get(pk=second.pk).status == "cancelled"
    page.screenshot(path="test-artifacts/day-view-actions.png", full_page=True)
