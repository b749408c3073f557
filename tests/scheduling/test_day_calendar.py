"""What each visit on the day view still needs, decided in the calendar's one query."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone

from acuback.outcomes import services as outcomes
from acuback.patients.models import EpisodeOfCare
from acuback.scheduling.selectors import day_calendar
from tests.factories import (
    clinic_today,
    make_appointment,
    make_consent,
    make_episode,
    make_signed_screening,
    request_for,
)


def due(world) -> list[str]:
    from acuback.scheduling.models import Appointment

    appointment = Appointment.objects.filter(patient=world.patient).first() or \
        make_appointment(world)
    day = appointment.start.astimezone(ZoneInfo(world.clinic.time_zone)).date()
    [entry] = day_calendar(clinic_id=world.clinic.pk, location=None, practitioner=None, day=day,
                           tz=ZoneInfo(world.clinic.time_zone))
    return entry.due


def test_a_new_patient_needs_everything(world):
    assert due(world) == ["treatment consent", "open an episode and intake"]


def test_a_withdrawn_consent_is_needed_again(world):
    consent = make_consent(world.patient, world.practitioner)
    consent.withdrawn_at = timezone.now()
    consent.save()
    assert "treatment consent" in due(world)


def test_an_open_episode_without_a_signed_intake_needs_one(world):
    make_consent(world.patient, world.practitioner)
    make_episode(world.patient, world.practitioner)
    assert due(world) == ["intake screening", "baseline questionnaires"]


def test_a_screened_patient_with_a_baseline_needs_nothing(world):
    make_consent(world.patient, world.practitioner)
    episode = make_signed_screening(world.patient, world.practitioner).episode
    assert due(world) == ["baseline questionnaires"]
    outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                           time_point="baseline", answers={1: 6}, submit=True,
                           completed_by="staff", request=request_for(world.practitioner))
    assert due(world) == []


def test_what_a_discharged_episode_had_does_not_count(world):
    make_consent(world.patient, world.practitioner)
    episode = make_signed_screening(world.patient, world.practitioner).episode
    outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                           time_point="baseline", answers={1: 6}, submit=True,
                           completed_by="staff", request=request_for(world.practitioner))
    EpisodeOfCare.objects.filter(pk=episode.pk).update(status="discharged")
    make_episode(world.patient, world.practitioner)  # the new problem: screen it again
    assert due(world) == ["intake screening", "baseline questionnaires"]


def test_each_visit_shows_its_locations_local_time(world):
    from datetime import datetime, time

    from tests.factories import make_location

    denver = make_location(world.clinic)
    denver.name, denver.time_zone = "Denver", "America/Denver"
    denver.save()
    chicago = ZoneInfo("America/Chicago")
    start = datetime.combine(clinic_today(world.clinic), time(10), tzinfo=chicago)
    make_appointment(world, start=start, location=denver)
    [entry] = day_calendar(clinic_id=world.clinic.pk, location=None, practitioner=None,
                           day=start.date(), tz=chicago)
    assert entry.hours == "09:00–09:45" and entry.location_name == "Denver"
    assert entry.patient_name == "Alice Archer" and entry.status_label == "Booked"


def test_row_links_are_the_routes():
    from django.urls import reverse

    from acuback.web.links import url_format

    assert url_format("patient_chart", "pk").format(pk=42) == reverse("patient_chart", args=[42])
    assert url_format("appointment_action", "pk", "a").format(pk=7, a="no_show") == \
        reverse("appointment_action", args=[7, "no_show"])


def test_the_day_view_filters_by_practitioner_and_location(world, login):
    from datetime import datetime, time

    from django.urls import reverse

    from tests.factories import make_location, make_practitioner, make_user

    chicago = ZoneInfo("America/Chicago")
    day = clinic_today(world.clinic)
    other = make_practitioner(world.clinic, make_user(world.clinic, "practitioner"))
    annex = make_location(world.clinic)
    make_appointment(world, start=datetime.combine(day, time(9), tzinfo=chicago))
    make_appointment(world, start=datetime.combine(day, time(11), tzinfo=chicago),
                     patient=world.other_patient, practitioner=other, location=annex)
    client = login(world.front_desk)
    url = reverse("calendar_day")

    def names(**query):
        page = client.get(url, {"date": day.isoformat(), **query}).content.decode()
        return [n for n in ("Alice Archer", "Bruno Baker") if n in page]

    assert names() == ["Alice Archer", "Bruno Baker"]
    assert names(practitioner=other.pk) == ["Bruno Baker"]
    assert names(location=world.location.pk) == ["Alice Archer"]
    assert names(location="nonsense", practitioner="") == ["Alice Archer", "Bruno Baker"]


def test_the_filters_offer_the_clinics_active_choices_with_the_chosen_one_selected(world, login):
    from django.urls import reverse

    from acuback.accounts.models import Practitioner
    from tests.factories import make_location, make_practitioner, make_user

    tricky = make_practitioner(world.clinic, make_user(world.clinic, "practitioner"))
    tricky.display_name = "Dr <b>Bold</b> & Co"
    tricky.save()
    retired = make_practitioner(world.clinic, make_user(world.clinic, "practitioner"))
    retired.is_active = False
    retired.save()
    annex = make_location(world.clinic)
    client = login(world.front_desk)
    page = client.get(reverse("calendar_day"), {"practitioner": tricky.pk,
                                                "location": annex.pk}).content.decode()
    practitioners = page.split('id="f-prac"')[1].split("</select>")[0]
    assert (f'<option value="{tricky.pk}" selected>Dr &lt;b&gt;Bold&lt;/b&gt; &amp; Co</option>'
            in practitioners)
    assert practitioners.count(" selected") == 1
    assert f'<option value="{world.practitioner_record.pk}">' in practitioners
    assert f'value="{retired.pk}"' not in practitioners
    outsider = Practitioner.objects.get(user=world.outsider)
    assert f'value="{outsider.pk}"' not in practitioners
    locations = page.split('id="f-loc"')[1].split("</select>")[0]
    assert f'<option value="{annex.pk}" selected>' in locations
    assert f'<option value="{world.location.pk}">' in locations


def test_the_day_holds_its_own_visits_in_time_then_practitioner_order(world):
    from datetime import datetime, time, timedelta

    from tests.factories import make_practitioner, make_user

    chicago = ZoneInfo("America/Chicago")
    day = clinic_today(world.clinic)
    amy = make_practitioner(world.clinic, make_user(world.clinic, "practitioner"))
    amy.display_name = "Aaron Amy"
    amy.save()

    def at(hour, minute=0, days=0, **fields):
        return make_appointment(world, start=datetime.combine(
            day + timedelta(days=days), time(hour, minute), tzinfo=chicago), **fields).pk

    midnight = at(0)  # the first minute of the day is in it, the next day's is not
    late = at(23, 30, patient=world.other_patient)
    nine_other = at(9, patient=world.other_patient)
    nine_amy = at(9, practitioner=amy)
    at(0, days=1)
    at(23, 59, days=-1)
    entries = day_calendar(clinic_id=world.clinic.pk, location=None, practitioner=None,
                           day=day, tz=chicago)
    assert [e.pk for e in entries] == [midnight, nine_amy, nine_other, late]
    assert [e.hours for e in entries] == ["00:00–00:45", "09:00–09:45", "09:00–09:45",
                                          "23:30–00:15"]
    assert entries[1].practitioner_name == "Aaron Amy"


def test_moving_in_time_keeps_the_filters_and_a_malformed_date_is_named(world, login):
    from django.urls import reverse

    from tests.factories import make_location

    annex = make_location(world.clinic)
    client = login(world.front_desk)
    kept = f"location={annex.pk}&amp;practitioner={world.practitioner_record.pk}"
    page = client.get(reverse("calendar_day"), {
        "date": "2026-03-10", "location": annex.pk,
        "practitioner": world.practitioner_record.pk}).content.decode()
    assert f'href="?date=2026-03-09&amp;{kept}"' in page  # previous day
    assert f'href="?date=2026-03-11&amp;{kept}"' in page  # next day
    assert f'href="?{kept}"' in page  # today
    assert f'href="{reverse("calendar_week")}?date=2026-03-10&amp;{kept}"' in page
    week = client.get(reverse("calendar_week"), {
        "date": "2026-03-10", "location": annex.pk,
        "practitioner": world.practitioner_record.pk}).content.decode()
    assert f'&amp;{kept}">← Previous week' in week and f'href="?{kept}"' in week
    assert f'{reverse("calendar_day")}?date=2026-03-10&amp;{kept}"' in week
    plain = client.get(reverse("calendar_day"), {"date": "2026-03-10"}).content.decode()
    assert 'href="?date=2026-03-09"' in plain and 'href="?"' in plain  # nothing to keep
    assert "is not a date" not in plain
    wrong = client.get(reverse("calendar_day"), {"date": "10/03/2026"})
    assert wrong.status_code == 200
    text = wrong.content.decode()
    assert ("Date: “10/03/2026” is not a date (YYYY-MM-DD) from 1900 to 2199, so this is "
            "today.") in text
    assert clinic_today(world.clinic).strftime("%Y-%m-%d") in text
    assert "is not a date" in client.get(reverse("calendar_week"),
                                         {"date": "2026-02-30"}).content.decode()
