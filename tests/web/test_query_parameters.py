"""No parameter a user or a stale link sends produces a server error (issue #25 §9):
dates at the ends of the calendar (`/calendar/?date=9999-12-31`, `0001-01-01`), numbers
where ids go, junk anywhere. Every view reads them through acuback.web.params."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from acuback.web.params import EARLIEST, LATEST, date_or, int_or, parse_date
from tests.factories import clinic_today, make_episode, make_session
from tests.portal.test_portal import bookable  # noqa: F401 (fixture)

BAD = ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01", "10000-01-01", "2026-02-30",
       "-1", "0", "abc", "9" * 40, "1e9", "", " ", "\x00", "2026-13-01", "12/31/9999",
       "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
       "2026-06-01T10:00:00-23:59"]


def _urls(w):
    """(user, method, path, parameters with a placeholder X) for every view that reads a
    date or a number from the query string or a posted field outside a form."""
    patient, clinic = w.patient.pk, w.clinic.pk  # noqa: F841
    episode = make_episode(w.patient, w.practitioner)
    session = make_session(w.patient, w.practitioner_record, w.location, episode=episode)
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from tests.factories import make_appointment

    appointment = make_appointment(w, start=datetime.combine(
        w.day + timedelta(days=2), time(10), tzinfo=ZoneInfo("America/Chicago")))
    day_search = {"location": w.location.pk, "type": w.type.pk, "day": "X"}
    return [
        (w.front_desk, "get", reverse("calendar_day"), {"date": "X"}),
        (w.front_desk, "get", reverse("calendar_day"), {"location": "X", "practitioner": "X"}),
        (w.front_desk, "get", reverse("calendar_week"), {"date": "X"}),
        (w.front_desk, "get", reverse("appointment_book"),
         {"location": w.location.pk, "type": w.type.pk, "day": "X",
          "practitioner": w.practitioner_record.pk}),
        (w.front_desk, "get", reverse("patient_list"), {"q": "X", "page": "X"}),
        (w.admin, "get", reverse("patient_superbill", args=[patient]), {"from": "X", "to": "X"}),
        (w.admin, "get", reverse("claim_export"), {"from": "X", "to": "X", "payer": "X"}),
        (w.admin, "get", reverse("insights_dashboard"), {"practitioner": "X"}),
        (w.practitioner, "get", reverse("adverse_event_new", args=[patient]), {"session": "X"}),
        (w.practitioner, "post", reverse("session_new", args=[patient, episode.pk]),
         {"location": "X"}),
        (w.practitioner, "get", reverse("session_detail", args=[patient, session.pk]), {}),
        (w.patient_user, "get", reverse("portal_book"), day_search),
        (w.patient_user, "post", reverse("portal_book"),
         {**day_search, "practitioner": "X", "start": "X"}),
        (w.patient_user, "post", reverse("portal_consents"), {"withdraw": "X"}),
        (w.patient_user, "get", reverse("portal_reschedule", args=[appointment.pk]),
         {"day": "X"}),
        (w.front_desk, "post", reverse("appointment_book"),
         {"patient": patient, "location": w.location.pk, "type": w.type.pk, "day": "X",
          "practitioner": w.practitioner_record.pk, "start": "X"}),
        (None, "get", reverse("public_book", args=[w.clinic.slug]),
         {**day_search, "practitioner": "X", "start": "X"}),
        (None, "post", reverse("public_book", args=[w.clinic.slug]),
         {**day_search, "practitioner": "X", "start": "X", "given_name": "A",
          "family_name": "B", "date_of_birth": "X", "email": "a@example.com",
          "onset_date": "X"}),
        (w.front_desk, "get", "/api/slots", {"practitioner_id": w.practitioner_record.pk,
                                             "location_id": w.location.pk,
                                             "type_id": w.type.pk, "day": "X"}),
    ]


def test_no_date_or_number_in_a_parameter_causes_a_server_error(bookable, client):  # noqa: F811
    from acuback.patients.models import Patient

    Patient.objects.filter(pk=bookable.patient.pk).update(portal_user=bookable.patient_user)
    client.raise_request_exception = False  # a 500 is counted, not raised
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    start = datetime.combine(bookable.day, time(10), tzinfo=ZoneInfo("America/Chicago"))
    valid = {"date": bookable.day.isoformat(), "day": bookable.day.isoformat(),
             "from": "2026-01-01", "to": "2026-01-31", "payer": "", "q": "", "page": "1",
             "location": bookable.location.pk, "practitioner": bookable.practitioner_record.pk,
             "session": "", "withdraw": "", "start": start.isoformat(),
             "date_of_birth": "1980-01-01", "onset_date": "2026-01-01"}
    failures = []
    for user, method, path, params in _urls(bookable):
        client.logout()
        if user is not None:
            client.force_login(user)
        for junk in [k for k, v in params.items() if v == "X"]:
            for value in BAD:
                # one parameter mangled at a time, the others as a page would send them
                data = {k: (value if k == junk else valid[k] if v == "X" else v)
                        for k, v in params.items()}
                response = getattr(client, method)(path, data)
                if response.status_code >= 500:
                    failures.append((path, junk, value))
    assert failures == [], failures


def test_the_calendar_says_a_far_date_is_not_one_it_shows(world, login):
    page = login(world.front_desk).get(reverse("calendar_day"), {"date": "9999-12-31"})
    assert page.status_code == 200
    assert page.context["day"] == clinic_today(world.clinic)
    assert "is not a date" in page.content.decode()


def test_the_calendar_still_shows_a_normal_far_date(world, login):
    asked = date(2100, 6, 1)
    page = login(world.front_desk).get(reverse("calendar_day"), {"date": asked.isoformat()})
    assert page.context["day"] == asked


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01",
                                   "2026-02-30", "x", "", None, "2026-01-01T10:00"])
def test_parse_date_refuses_what_the_system_cannot_handle(value):
    assert parse_date(value) is None
    assert date_or(value, date(2026, 1, 1)) == date(2026, 1, 1)


@given(st.dates())
def test_a_parsed_date_leaves_room_for_a_week_either_side(day):
    parsed = parse_date(day.isoformat())
    if parsed is None:
        assert not EARLIEST <= day <= LATEST
    else:
        assert parsed == day
        parsed - timedelta(days=14)  # no OverflowError
        parsed + timedelta(days=14)


@given(st.one_of(st.text(max_size=30), st.none()))
def test_int_or_never_raises(value):
    assert isinstance(int_or(value, 0), int)


ADMIN_DATES = ["at__year=9999&at__month=12", "at__year=9999&at__month=12&at__day=31",
               "at__year=9999", "at__year=0&at__month=1", "at__year=99999", "at__year=abc",
               "at__day=40&at__month=2&at__year=2026", "at__year=2026&at__month=13"]


@pytest.mark.parametrize("query", ADMIN_DATES)
def test_the_audit_viewer_and_its_export_take_any_date_in_the_address(world, login, operator,
                                                                    query):
    """The audit viewer's date drill-down (Django admin's date_hierarchy) stepped past the
    last year Python has and gave a 500; its CSV export did for any malformed filter."""
    client = login(operator)  # the Django admin is the platform operators'
    client.raise_request_exception = False
    viewer = client.get(f"/admin/audit/auditevent/?{query}")
    assert viewer.status_code in (200, 302)  # Django admin's own answer: back to the list
    export = client.get(f"/admin/audit/auditevent/export.csv?{query}")
    assert export.status_code == 400
    assert "filter" in export.content.decode()


def test_the_audit_export_still_follows_a_good_filter(world, login, operator):
    client = login(operator)
    year = timezone.localdate().year
    export = client.get(f"/admin/audit/auditevent/export.csv?at__year={year}")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
