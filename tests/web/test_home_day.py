"""Issue #28 §3: home pages that start the day. The practitioner's patients of today in
order with what each still needs (links that resolve it), the front desk's arrivals, and
open emergency referrals and self-harm alerts first on the clinician's home page."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from acuback.accounts import zones
from acuback.outcomes.models import OutcomeAlert
from tests.factories import make_appointment, make_consent, make_signed_screening


@pytest.fixture
def day(world):
    """Two visits today at 10:00 and 14:00 (the location's clock), the later one booked
    first; the home pages are read at 08:00 that day."""
    tz = zones.zone_of(world.location)
    world.today = zones.today_at(world.location) + timedelta(days=1)
    world.late = make_appointment(world, start=datetime.combine(world.today, time(14),
                                                                tzinfo=tz))
    world.early = make_appointment(world, patient=world.other_patient,
                                   start=datetime.combine(world.today, time(10), tzinfo=tz))
    make_consent(world.patient, world.practitioner)
    world.at = datetime.combine(world.today, time(8), tzinfo=tz)
    return world


def section(html: str, id_: str) -> str:
    start = html.index(f'id="{id_}"')
    return html[start:html.index("</section>", start)]


def test_my_day_lists_todays_patients_in_order_with_what_each_needs(day, login):
    with time_machine.travel(day.at, tick=False):
        html = login(day.practitioner).get(reverse("home")).content.decode()
    mine = section(html, "my-day")
    assert mine.index("Bruno Baker") < mine.index("Alice Archer")
    assert "10:00" in mine and "14:00" in mine
    bruno = mine[mine.index("Bruno Baker"):mine.index("Alice Archer")]
    clinical = reverse("patient_clinical", args=[day.other_patient.pk])
    assert "Treatment consent" in bruno and f'href="{clinical}">Take consent' in bruno
    alice = mine[mine.index("Alice Archer"):]
    assert "Treatment consent" not in alice  # she has signed it
    assert f'href="{reverse("episode_create", args=[day.patient.pk])}">Open an episode' in alice


def test_the_front_desk_sees_arrivals_with_the_action_beside_each(day, login):
    with time_machine.travel(day.at, tick=False):
        html = login(day.front_desk).get(reverse("home")).content.decode()
    arrivals = section(html, "arrivals")
    assert "Bruno Baker" in arrivals and "Alice Archer" in arrivals
    # Consent is the clinician's to take: the desk sees it is missing, with no link to a
    # page that would refuse it (issue #28 §3).
    assert "Treatment consent" in arrivals and "Take consent" not in arrivals
    assert reverse("patient_clinical", args=[day.other_patient.pk]) not in arrivals


def test_emergencies_and_self_harm_alerts_come_first_on_the_clinicians_home(day, login):
    make_signed_screening(day.patient, day.practitioner, saddle_numbness=True,
                          referred_to="ED", patient_told="Go now.")
    OutcomeAlert.objects.create(patient=day.other_patient, kind="self_harm",
                                responsible=day.practitioner)
    with time_machine.travel(day.at, tick=False):
        html = login(day.practitioner).get(reverse("home")).content.decode()
    referrals = section(html, "emergency-referrals")
    assert "Alice Archer" in referrals
    assert html.index('id="emergency-referrals"') < html.index('id="my-day"')
    assert html.index("thoughts of self-harm") < html.index('id="my-day"')
    bruno = section(html, "my-day")
    assert "Open safety alert" in bruno and "Record the follow-up" in bruno


@pytest.mark.parametrize("user", ["practitioner", "front_desk"])
def test_the_home_pages_cost_the_same_with_more_visits(day, login, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_patient

    def count():
        with time_machine.travel(day.at, tick=False):
            client = login(getattr(day, user))
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("home")).status_code == 200
        return len(queries)

    before = count()
    tz = zones.zone_of(day.location)
    for hour in (11, 12, 13, 15, 16):
        patient = make_patient(day.clinic, given_name=f"Extra{hour}")
        OutcomeAlert.objects.create(patient=patient, kind="self_harm")
        make_appointment(day, patient=patient,
                         start=datetime.combine(day.today, time(hour), tzinfo=tz))
    assert count() <= before
