"""A session's date and 'checked today' are the clinic's day at the location, not the
server's: at 06:00 in Chicago on 7 December the server (UTC+14 in tests) is already on
the 8th, and a session started outside a request (a task, an import) or a check signed
that morning must still count as the 7th."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from acuback.screening.enforcement import needling_check
from acuback.screening.selectors import safety_profile
from acuback.treatment import services
from tests.factories import make_consent, make_signed_screening, request_for

MORNING = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # 06:00 in Chicago, 02:00 on the 8th at UTC+14
CLINIC_DAY = date(2026, 12, 7)


def test_a_session_started_outside_a_request_is_dated_the_clinics_day(world):
    with time_machine.travel(MORNING, tick=False):
        make_consent(world.patient, world.practitioner)
        screening = make_signed_screening(world.patient, world.practitioner)
        session = services.session_start(episode=screening.episode,
                                         practitioner=world.practitioner_record,
                                         location=world.location,
                                         request=request_for(world.practitioner))
    assert session.session_date == CLINIC_DAY


def test_a_check_signed_this_morning_is_todays_check_on_the_clinics_calendar(world):
    with time_machine.travel(MORNING, tick=False):
        make_consent(world.patient, world.practitioner)
        make_signed_screening(world.patient, world.practitioner)
        assert safety_profile(patient=world.patient, on=CLINIC_DAY).checked_today
        check = needling_check(patient=world.patient, practitioner=world.practitioner_record,
                               location=world.location, on=CLINIC_DAY,
                               electroacupuncture=False, point_codes=["LI4"])
    assert not any("pre-treatment check" in p for p in check.problems), check.problems


def test_an_episode_opened_and_discharged_outside_a_request_is_dated_the_clinics_day(world):
    from acuback.patients.services import episode_save

    with time_machine.travel(MORNING, tick=False):
        episode = episode_save(patient=world.patient, request=request_for(world.practitioner),
                               data={"onset_date": date(2026, 1, 10)})
        assert episode.opened_on == CLINIC_DAY
        episode = episode_save(patient=world.patient, episode=episode,
                               request=request_for(world.practitioner),
                               data={"status": "discharged"})
        assert episode.discharged_on == CLINIC_DAY
