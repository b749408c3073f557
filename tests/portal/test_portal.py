"""The patient portal: login by link, own bookings, isolation between patients."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from acuback.scheduling.models import Appointment, AppointmentType, WeeklyAvailability
from tests.factories import make_appointment, make_consent_form, make_practitioner
from tests.queued_tasks import run_queued_tasks

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def bookable(world):
    world.type = AppointmentType.objects.create(clinic=world.clinic, name="Follow-up",
                                                kind="follow_up", duration_minutes=45,
                                                buffer_minutes=15)
    # Someone new books a first visit; a patient of the clinic the others (issue #28 §7).
    world.first_visit = AppointmentType.objects.create(
        clinic=world.clinic, name="Initial assessment", kind="initial", duration_minutes=45,
        buffer_minutes=15)
    world.lapsed = make_practitioner(world.clinic, expires_in_days=-1)
    for practitioner in (world.practitioner_record, world.lapsed):
        for weekday in range(7):
            WeeklyAvailability.objects.create(practitioner=practitioner, location=world.location,
                                              weekday=weekday, start_time=time(9),
                                              end_time=time(12))
    world.day = timezone.localdate() + timedelta(days=3)
    return world


def magic_link_from_outbox() -> str:
    from django.conf import settings

    # e-mailed links start from ACUBACK_BASE_URL (tests/security/test_emailed_links.py)
    base = re.escape(settings.ACUBACK_BASE_URL)
    return re.search(base + r"(/portal/magic/\S+/)", mail.outbox[-1].body).group(1)


def test_a_magic_link_logs_the_patient_in_once(world, client):
    world.patient_user.email = "alice@example.com"
    world.patient_user.save()
    client.post(reverse("portal_login"), {"email": "ALICE@example.com"})
    run_queued_tasks()  # the worker looks the address up and sends
    link = magic_link_from_outbox()
    assert client.get(link)["Location"] == reverse("home")
    assert "Hello, Alice" in client.get(reverse("home")).content.decode()
    client.logout()
    reused = client.get(link)
    assert reused.status_code == 400 and "already been used" in reused.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(world, client):
    response = client.post(reverse("portal_login"), {"email": "nobody@example.com"})
    run_queued_tasks()
    assert "If an account uses that address" in response.content.decode()
    assert mail.outbox == []


def test_a_staff_address_gets_no_patient_login_link(world, client):
    world.practitioner.email = "prac@example.com"
    world.practitioner.save()
    client.post(reverse("portal_login"), {"email": "prac@example.com"})
    run_queued_tasks()
    assert mail.outbox == []


def test_online_booking_offers_only_cleared_practitioners(bookable, login):
    client = login(bookable.patient_user)
    page = client.get(reverse("portal_book"), {"location": bookable.location.pk,
                                               "type": bookable.type.pk,
                                               "day": bookable.day.isoformat()})
    offered = [p for p, _ in page.context["options"]]
    assert offered == [bookable.practitioner_record]


def test_the_patient_books_and_a_taken_slot_is_refused(bookable, login):
    client = login(bookable.patient_user)
    query = {"location": bookable.location.pk, "type": bookable.type.pk,
             "day": bookable.day.isoformat()}
    start = datetime.combine(bookable.day, time(10), tzinfo=CHICAGO).isoformat()
    data = {**query, "practitioner": bookable.practitioner_record.pk, "start": start}
    assert client.post(reverse("portal_book"), data).status_code == 302
    booked = Appointment.objects.get()
    assert booked.patient == bookable.patient and booked.booked_by == bookable.patient_user
    other = login(bookable.other_patient_user)
    refused = other.post(reverse("portal_book"), data)
    assert refused.status_code == 400 and "just been taken" in refused.content.decode()


def test_booking_with_a_practitioner_not_cleared_is_refused(bookable, login):
    client = login(bookable.patient_user)
    start = datetime.combine(bookable.day, time(10), tzinfo=CHICAGO).isoformat()
    response = client.post(reverse("portal_book"), {
        "location": bookable.location.pk, "type": bookable.type.pk,
        "day": bookable.day.isoformat(), "practitioner": bookable.lapsed.pk, "start": start})
    assert "not cleared to needle" in response.content.decode()


def test_a_past_date_is_refused_on_its_field(bookable, login):
    client = login(bookable.patient_user)
    response = client.get(reverse("portal_book"), {"location": bookable.location.pk,
                                                   "type": bookable.type.pk,
                                                   "day": "2020-01-01"})
    assert response.context["form"].errors["day"] == ["That date is in the past."]


def test_cancelling_inside_the_notice_window_is_refused(world, login):
    soon = make_appointment(world, start=timezone.now() + timedelta(hours=5))
    client = login(world.patient_user)
    response = client.post(reverse("portal_cancel", args=[soon.pk]), {"confirm": "yes"},
                           follow=True)
    assert "Online changes close 24 hours before" in response.content.decode()
    soon.refresh_from_db()
    assert soon.status == "booked"


def test_cancelling_in_good_time_works(world, login):
    later = make_appointment(world, start=timezone.now() + timedelta(days=3))
    login(world.patient_user).post(reverse("portal_cancel", args=[later.pk]), {"confirm": "yes"})
    later.refresh_from_db()
    assert later.status == "cancelled" and "patient online" in later.cancel_reason


def test_cancelling_asks_first_and_a_post_without_the_answer_cancels_nothing(world, login):
    later = make_appointment(world, start=timezone.now() + timedelta(days=3))
    client = login(world.patient_user)
    question = client.get(reverse("portal_cancel", args=[later.pk])).content.decode()
    assert "Cancel this appointment?" in question and later.location.address_line1 in question
    assert client.post(reverse("portal_cancel", args=[later.pk])).status_code == 200
    later.refresh_from_db()
    assert later.status == "booked"


def test_moving_is_recorded_as_a_move_not_a_cancellation(bookable, login):
    old_start = datetime.combine(bookable.day, time(9), tzinfo=CHICAGO)
    old = make_appointment(bookable, start=old_start)
    client = login(bookable.patient_user)
    new_start = datetime.combine(bookable.day, time(11), tzinfo=CHICAGO)
    response = client.post(reverse("portal_reschedule", args=[old.pk]),
                           {"day": bookable.day.isoformat(), "start": new_start.isoformat()})
    assert response.status_code == 302
    old.refresh_from_db()
    new = Appointment.objects.get(status="booked")
    assert old.status == "moved" and old.moved_to == new and new.start == new_start
    assert new.booked_via == "portal" and new.patient_confirmed_at is not None
    assert response["Location"] == reverse("portal_appointment", args=[new.pk])
    from acuback.audit.models import AuditEvent

    move = AuditEvent.objects.get(action="appointment.move")
    assert move.detail["from"] == old.pk and move.actor == bookable.patient_user
    assert not AuditEvent.objects.filter(action="appointment.cancel").exists()


def test_patients_see_only_their_own_appointments_and_record(world, login):
    mine = make_appointment(world, start=timezone.now() + timedelta(days=3))
    other = login(world.other_patient_user)
    assert "Alice" not in other.get(reverse("portal_record")).content.decode()
    assert mine.patient.given_name not in other.get(reverse("home")).content.decode()
    assert other.post(reverse("portal_cancel", args=[mine.pk])).status_code == 404
    own = login(world.patient_user).get(reverse("portal_record")).content.decode()
    assert "Alice Archer" in own and world.patient.mrn in own


def test_a_patient_signs_and_withdraws_a_consent_online(world, login):
    form = make_consent_form(world.clinic, "data_sharing")
    client = login(world.patient_user)
    wrong = client.post(reverse("portal_consents"), {"form": form.pk,
                                                     "signature_name": "Someone Else"})
    assert wrong.status_code == 400
    client.post(reverse("portal_consents"), {"form": form.pk, "signature_name": "Alice Archer"})
    consent = world.patient.consents.get()
    assert consent.recorded_by == world.patient_user
    client.post(reverse("portal_consents"), {"withdraw": consent.pk})
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


def new_patient_data(bookable, **details):
    start = datetime.combine(bookable.day, time(10), tzinfo=CHICAGO).isoformat()
    return {"location": bookable.location.pk, "type": bookable.first_visit.pk,
            "day": bookable.day.isoformat(), "practitioner": bookable.practitioner_record.pk,
            "start": start, "given_name": "Nia", "family_name": "Obi",
            "date_of_birth": "1979-04-02", "email": "nia@example.com", "phone": "",
            "onset_date": "2026-06-01", **details}


def confirm_from_outbox(client):
    """Use the link the booking request e-mailed (test_booking_hold covers the hold)."""
    link = re.search(r"https?://[^/\s]+(/portal/book/confirm/\S+/)", mail.outbox[-1].body)
    return client.post(link.group(1))


def test_a_new_patient_books_online_and_receives_the_intake_link(bookable, client):
    url = reverse("public_book", args=[bookable.clinic.slug])
    response = client.post(url, new_patient_data(bookable))
    assert response.status_code == 200, (response.context.get("problem"),
                                         response.context["details"].errors)
    assert "open it and confirm to book" in response.content.decode()
    assert confirm_from_outbox(client).status_code == 200
    appointment = Appointment.objects.get()
    patient = appointment.patient
    assert (patient.full_name, patient.portal_user.email) == ("Nia Obi", "nia@example.com")
    assert patient.episodes.get().onset_date.isoformat() == "2026-06-01"
    request_mail, booked_mail = mail.outbox
    assert "/q/" in booked_mail.body and "Initial assessment with" in booked_mail.body


@pytest.mark.parametrize("field, value, message", [
    ("date_of_birth", "2999-01-01", "cannot be in the future"),
    ("email", "nia@", "valid email"),
    ("onset_date", "1970-01-01", "before your date of birth"),
])
def test_new_patient_bad_details_are_refused_and_nothing_is_created(bookable, client, field,
                                                                    value, message):
    response = client.post(reverse("public_book", args=[bookable.clinic.slug]),
                           new_patient_data(bookable, **{field: value}))
    assert response.status_code == 400
    assert message in " ".join(response.context["details"].errors[field])
    assert not Appointment.objects.exists()


def test_a_taken_slot_leaves_no_new_patient_behind(bookable, client):
    from acuback.patients.models import Patient

    make_appointment(bookable, start=datetime.combine(bookable.day, time(10), tzinfo=CHICAGO))
    before = Patient.objects.count()
    response = client.post(reverse("public_book", args=[bookable.clinic.slug]),
                           new_patient_data(bookable))
    assert response.status_code == 400 and "just been taken" in response.content.decode()
    assert Patient.objects.count() == before


def test_an_existing_patient_confirms_into_the_record_and_is_sent_to_log_in(bookable, client):
    bookable.patient.email = "nia@example.com"
    bookable.patient.save()
    client.post(reverse("public_book", args=[bookable.clinic.slug]), new_patient_data(bookable))
    # by e-mail, not on the page: the page says the same for every address
    # (tests/portal/test_public_booking_privacy.py)
    confirm_from_outbox(client)
    assert Appointment.objects.get().patient == bookable.patient
    message = mail.outbox[-1]
    assert "log in with your e-mail" in message.body and message.to == ["nia@example.com"]


def test_a_patient_answers_the_intake_at_home_and_the_practitioner_signs(world, login):
    from acuback.screening.models import Screening
    from tests.factories import make_episode

    make_episode(world.patient, world.practitioner)
    client = login(world.patient_user)
    assert "Answer the health questions" in client.get(reverse("home")).content.decode()
    page = client.get(reverse("portal_intake"))
    assert "structural_deformity" not in page.context["form"].fields  # clinician's question
    response = client.post(reverse("portal_intake"), {"night_pain": "yes", "epilepsy": "no"})
    assert response.status_code == 302
    draft = Screening.objects.get()
    assert draft.answers["night_pain"] is True and draft.status == "draft"
    assert draft.created_by == world.patient_user


def test_emergency_answers_tell_the_patient_to_seek_care_now(world, login):
    from tests.factories import make_episode

    make_episode(world.patient, world.practitioner)
    response = login(world.patient_user).post(reverse("portal_intake"),
                                              {"saddle_numbness": "yes"})
    assert "Go to an emergency department now" in response.content.decode()


def test_impossible_intake_answers_are_refused_on_the_field(world, login):
    from tests.factories import make_episode

    make_episode(world.patient, world.practitioner)
    response = login(world.patient_user).post(reverse("portal_intake"),
                                              {"pregnant": "yes", "gestational_weeks": "50"})
    assert response.status_code == 400
    assert response.context["form"].errors["gestational_weeks"]


def test_the_public_booking_page_takes_today_on_the_locations_calendar(bookable, client):
    import time_machine

    # 21:00 on 7 December in Chicago: the server (UTC+14 in tests) is on the 8th already.
    evening = datetime(2026, 12, 7, 21, 0, tzinfo=CHICAGO)
    with time_machine.travel(evening, tick=False):
        url = reverse("public_book", args=[bookable.clinic.slug])
        search = {"location": bookable.location.pk, "type": bookable.type.pk}
        today = client.get(url, {**search, "day": "2026-12-07"}).context["form"]
        assert "day" not in today.errors
        yesterday = client.get(url, {**search, "day": "2026-12-06"}).context["form"]
        assert yesterday.errors["day"] == ["That date is in the past."]


def test_a_new_patients_dates_are_checked_against_the_clinics_calendar(bookable, client):
    import time_machine

    # 21:00 on 7 December in Chicago: for the server (UTC+14 in tests) it is the 8th.
    with time_machine.travel(datetime(2026, 12, 7, 21, 0, tzinfo=CHICAGO), tick=False):
        response = client.post(reverse("public_book", args=[bookable.clinic.slug]),
                               new_patient_data(bookable, onset_date="2026-12-08"))
    assert response.context["details"].errors["onset_date"] == ["This date is in the future."]
    assert not Appointment.objects.exists()
