"""Who counts as treating a patient (no break-the-glass needed): each relationship on its
own grants it, a colleague with none of them does not, and it is one query."""

from __future__ import annotations

import pytest

from acuback.audit.services import audit_record
from acuback.patients.selectors import has_care_relationship
from tests.factories import (
    make_appointment,
    make_episode,
    make_practitioner,
    make_session,
    make_signed_screening,
    make_user,
)


@pytest.fixture
def colleague(world):
    user = make_user(world.clinic, "practitioner", "colleague")
    user.record = make_practitioner(world.clinic, user)
    return user


def _someone_elses_record(world):
    make_episode(world.patient, world.practitioner)


def test_a_patient_without_an_episode_is_anyones(world, colleague):
    assert has_care_relationship(user=colleague, patient=world.patient)


def test_a_colleague_with_no_link_to_the_patient_has_none(world, colleague,
                                                          django_assert_num_queries):
    _someone_elses_record(world)
    make_appointment(world)  # with alpha_prac, not the colleague
    with django_assert_num_queries(1):
        assert not has_care_relationship(user=colleague, patient=world.patient)
    assert has_care_relationship(user=world.practitioner, patient=world.patient)


@pytest.mark.parametrize("link", ["appointment", "session", "episode", "screening",
                                  "registered"])
def test_each_link_on_its_own_is_a_care_relationship(world, colleague, link):
    _someone_elses_record(world)
    assert not has_care_relationship(user=colleague, patient=world.patient)
    if link == "appointment":
        make_appointment(world, practitioner=colleague.record)
    elif link == "session":
        make_session(world.patient, colleague.record, world.location,
                     episode=world.patient.episodes.first())
    elif link == "episode":
        make_episode(world.patient, colleague)
    elif link == "screening":
        make_signed_screening(world.patient, colleague,
                              episode=world.patient.episodes.first())
    else:
        audit_record(request=None, actor=colleague, patient=world.patient,
                     action="patient.create", target=world.patient)
    assert has_care_relationship(user=colleague, patient=world.patient)
    # Another patient's record does not count.
    make_episode(world.other_patient, world.practitioner)
    assert not has_care_relationship(user=colleague, patient=world.other_patient)
