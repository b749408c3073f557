"""Every page's number of SQL queries stays the same when the data grows.

Each GET page of the access matrix is opened by a role allowed to see it, once on the
test world and once after adding more patients, episodes, sessions, scores,
appointments and audit events; the second count may not be higher than the first.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from acuback import signing
from tests.factories import make_episode, make_patient, make_session, request_for
from tests.web.test_access_matrix import MATRIX

ROLES_IN_ORDER = ("clinic_admin", "practitioner", "front_desk", "patient", "anonymous")
# Known pages whose cost grows with the data, each with the reason; they are the next
# things to fix (one query set per episode / per patient), not a licence to add more.
EXCEPTIONS: dict[str, str] = {
    "claim_export": "a batch download: about 4 queries per patient billed in the period "
                    "(one superbill each)",
}


def _pages():
    for name, (_build, method, expected) in sorted(MATRIX.items()):
        if method != "get":
            continue
        role = next((r for r in ROLES_IN_ORDER if expected.get(r) == 200), None)
        if role is not None:
            yield name, role


def _grow(world, n=6):
    from acuback.outcomes import services as outcomes
    from acuback.treatment.models import Session

    request = request_for(world.practitioner)
    for k in range(n):
        patient = make_patient(world.clinic, family_name=f"Grow{k}")
        for target in (patient, world.patient):
            episode = make_episode(target, world.practitioner)
            session = make_session(target, world.practitioner_record, world.location,
                                   episode=episode)
            with signing.signing():  # arranging data signed earlier
                Session.objects.filter(pk=session.pk).update(status="signed",
                                                             signed_at=timezone.now())
            outcomes.response_save(patient=target, episode=episode, instrument_id="nrs",
                                   time_point="baseline", answers={1: 5}, submit=True,
                                   completed_by="staff", request=request)


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize(("name", "role"), list(_pages()))
def test_the_page_costs_the_same_with_more_data(name, role, world_with_consent, login):
    if name in EXCEPTIONS:
        pytest.skip(EXCEPTIONS[name])
    world = world_with_consent
    build, _, _ = MATRIX[name]
    client = login(world.user_for(role))
    url = build(world)
    _grow(world, n=1)  # so no query is skipped for want of any row
    _count(client, url)  # warm caches (session, content types)
    before = _count(client, url)
    _grow(world, n=5)
    after = _count(client, url)
    assert after <= before, f"{name}: {before} queries, then {after} with more data"


API_URLS = {
    "fhir Procedure search": lambda w: "/fhir/Procedure?_count=100",
    "fhir Observation search": lambda w: "/fhir/Observation?_count=100",
    "fhir Encounter search": lambda w: f"/fhir/Encounter?patient={w.patient.pk}",
    "fhir Condition search": lambda w: "/fhir/Condition?_count=100",
    "fhir $everything": lambda w: f"/fhir/Patient/{w.patient.pk}/$everything",
    # _include / _revinclude: one query per include, whatever the page (issue #30 §4)
    "fhir Observation search with _include": lambda w: (
        "/fhir/Observation?_count=100&_include=Observation:patient"),
    "fhir Encounter search with _include": lambda w: (
        "/fhir/Encounter?_count=100&_include=Encounter:practitioner"
        "&_include=Encounter:patient"),
    "fhir Patient search with _revinclude": lambda w: (
        "/fhir/Patient?_count=100&_revinclude=Observation:patient"
        "&_revinclude=Condition:subject&_sort=-_lastUpdated&_elements=name"),
    "api scores": lambda w: f"/api/patients/{w.patient.pk}/scores",
    "api acupoints": lambda w: "/api/acupoints?q=BL",
}


@pytest.mark.parametrize("name", sorted(API_URLS))
def test_api_endpoints_cost_the_same_with_more_data(name, world_with_consent, login):
    world = world_with_consent
    client = login(world.admin)
    url = API_URLS[name](world)
    _grow(world, n=1)
    _count(client, url)
    before = _count(client, url)
    _grow(world, n=5)
    after = _count(client, url)
    assert after <= before, f"{name}: {before} queries, then {after} with more data"


def _busy_days(world, who, days: int, after: int = 0):
    """A realistic calendar at the location: each practitioner working 8-18 on ``days`` days
    from three days ahead (and ``after`` more), with visits booked, cancelled, missed and arrived each day
    (every kind the grid draws). Practitioners: a number of new ones, or the ones given."""
    from datetime import datetime, time, timedelta

    from acuback.accounts import zones
    from acuback.scheduling.models import WeeklyAvailability
    from tests.factories import make_appointment, make_practitioner

    first = zones.today_at(world.location) + timedelta(days=3 + after)
    who = who if isinstance(who, list) else [make_practitioner(world.clinic) for _ in range(who)]
    for practitioner in who:
        for day in (first + timedelta(days=n) for n in range(days)):
            WeeklyAvailability.objects.get_or_create(
                practitioner=practitioner, location=world.location, weekday=day.weekday(),
                start_time=time(8), end_time=time(18))
            for hour, status in ((8, "booked"), (10, "cancelled"), (10, "booked"),
                                 (13, "no_show"), (15, "checked_in")):
                make_appointment(world, start=datetime.combine(
                    day, time(hour), tzinfo=zones.zone_of(world.location)),
                    practitioner=practitioner, status=status, patient=make_patient(world.clinic))
    return first


def test_the_calendar_grids_cost_the_same_on_busier_days(world_with_consent, login):
    """Issue #28 §2: the time grids (a day's practitioners, a practitioner's week) have no
    query per visit, practitioner, day or cell."""
    from django.urls import reverse

    world = world_with_consent
    client = login(world.front_desk)
    first = _busy_days(world, 2, days=1)
    mine = [world.practitioner_record]
    _busy_days(world, mine, days=1)
    day_url = f"{reverse('calendar_day')}?date={first.isoformat()}"
    week_url = (f"{reverse('calendar_week')}?date={first.isoformat()}"
                f"&practitioner={world.practitioner_record.pk}")
    counts = {}
    for url in (day_url, week_url):
        _count(client, url)
        counts[url] = _count(client, url)
    shown = client.get(week_url).content.decode().count('class="visit visit-')
    _busy_days(world, 6, days=1)  # six more practitioners that day
    _busy_days(world, mine, days=6, after=1)  # and the rest of the week of the one whose
    day = client.get(day_url).content.decode()
    week = client.get(week_url).content.decode()
    assert day.count('class="visit visit-') == 5 * (2 + 1 + 6)
    monday = first.toordinal() - first.weekday()
    in_week = sum(1 for n in range(7) if monday <= first.toordinal() + n < monday + 7)
    assert week.count('class="visit visit-') == shown + 5 * (in_week - 1)
    for url in (day_url, week_url):
        after = _count(client, url)
        assert after <= counts[url], f"{url}: {counts[url]} queries, then {after}"
