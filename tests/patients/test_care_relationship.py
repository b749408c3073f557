"""Who counts as treating a patient (no break-the-glass needed): each relationship on its
own grants it, a colleague with none of them does not, and it is one query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

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


@pytest.mark.parametrize("status", ["cancelled", "no_show"])
def test_a_cancelled_or_missed_appointment_is_no_care_relationship(world, colleague, status):
    """jporter booked a patient with himself and cancelled at once (issue #25)."""
    _someone_elses_record(world)
    make_appointment(world, practitioner=colleague.record, status=status)
    assert not has_care_relationship(user=colleague, patient=world.patient)
    make_appointment(world, practitioner=colleague.record, status="booked",
                     start=timezone.now() + timedelta(days=3))
    assert has_care_relationship(user=colleague, patient=world.patient)


@pytest.mark.parametrize("link", ["none", "appointment", "cancelled", "no_show", "session",
                                  "episode", "screening", "registered", "no_record"])
def test_the_filter_for_many_patients_is_the_same_rule(world, colleague, link):
    """``care.care_relationship`` (searches, FHIR, the API) agrees with the one-patient
    query the pages ask, for every kind of link."""
    from acuback.patients.care import care_relationship
    from acuback.patients.models import Patient

    if link != "no_record":
        _someone_elses_record(world)
    episode = world.patient.episodes.first()
    if link in ("appointment", "cancelled", "no_show"):
        make_appointment(world, practitioner=colleague.record,
                         status="booked" if link == "appointment" else link)
    elif link == "session":
        make_session(world.patient, colleague.record, world.location, episode=episode)
    elif link == "episode":
        make_episode(world.patient, colleague)
    elif link == "screening":
        make_signed_screening(world.patient, colleague, episode=episode)
    elif link == "registered":
        audit_record(request=None, actor=colleague, patient=world.patient,
                     action="patient.create", target=world.patient)
    one = has_care_relationship(user=colleague, patient=world.patient)
    many = Patient.objects.filter(care_relationship(colleague, "pk"),
                                  pk=world.patient.pk).exists()
    assert one == many
    assert one == (link not in ("none", "cancelled", "no_show"))
