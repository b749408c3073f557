""""Today" on a patient's outcomes and reports is the patient's clinic's today
(``accounts.zones.today_at``), not the zone of whichever clinic the viewer joined first."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from acuback.accounts import zones
from acuback.accounts.models import Membership, Role
from acuback.outcomes.schedule import FOLLOW_UP_DAYS
from tests.factories import make_clinic, make_episode, make_user


def _viewer_from_a_clinic_a_day_behind(world):
    """Practitioner at a Honolulu clinic first, clinic admin of the patient's clinic on
    Kiritimati (24 hours ahead: the two calendars never show the same date)."""
    home = make_clinic("Home")
    home.time_zone = "Pacific/Honolulu"
    home.save()
    user = make_user(home, Role.PRACTITIONER)
    world.clinic.time_zone = "Pacific/Kiritimati"
    world.clinic.save()
    Membership.objects.create(user=user, clinic=world.clinic, role=Role.CLINIC_ADMIN)
    return user


def test_a_follow_up_is_due_on_the_patients_clinics_day(world, login):
    user = _viewer_from_a_clinic_a_day_behind(world)
    today = zones.today_at(world.clinic)
    make_episode(world.patient, world.admin, status="discharged",
                 discharged_on=today - timedelta(days=FOLLOW_UP_DAYS["follow_up_3m"]))
    page = login(user).get(reverse("patient_outcomes", args=[world.patient.pk])).content
    assert b"<strong>Follow-up at 3 months</strong>" in page  # listed under "Due now"


def test_a_report_is_named_with_the_patients_clinics_date(world, login):
    user = _viewer_from_a_clinic_a_day_behind(world)
    episode = make_episode(world.patient, world.admin)
    url = reverse("episode_report", args=[world.patient.pk, episode.pk, "progress"])
    response = login(user).get(url + "?format=pdf")
    assert str(zones.today_at(world.clinic)) in response["Content-Disposition"]
