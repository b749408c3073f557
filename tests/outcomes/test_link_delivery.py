"""A questionnaire link goes only to the contact details on the patient's record, or is
handed over in person by someone who may see the record (recorded); a response records
who invited it and how it was completed; front desk learns nothing about the clinical
record from the answers (issue #25, section 5: front desk sent a PHQ-9 link with the
patient's first name to attacker@evil.example, answered it as the patient, and told
episodes apart by 404 and 302)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from acuback.outcomes.models import CollectionLink, OutcomeAlert, QuestionnaireResponse
from acuback.patients.models import Patient
from tests.factories import make_episode

PHQ9_ALL_3 = {f"item_{n}": "3" for n in range(1, 10)}


@pytest.fixture
def episode(world):
    Patient.objects.filter(pk=world.patient.pk).update(email="alice@example.com")
    world.patient.refresh_from_db()
    return make_episode(world.patient, world.practitioner)


def _send(client, world, episode_pk, patient=None, **data):
    patient = patient or world.patient
    return client.post(reverse("link_send", args=[patient.pk, episode_pk]),
                        {"instruments": ["phq9"], "time_point": "review", **data})


def _messages(response) -> list[str]:
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]


def test_front_desk_cannot_send_a_link_to_an_address_of_their_choosing(world, episode, login):
    _send(login(world.front_desk), world, episode.pk, email="attacker@evil.example",
          delivery="email")
    assert all(message.to == ["alice@example.com"] for message in mail.outbox)
    assert not any("evil.example" in str(m.to) for m in mail.outbox)
    link = CollectionLink.objects.get()
    assert link.sent_to == "alice@example.com" and link.created_by == world.front_desk


def test_front_desk_never_holds_the_link_itself(world, episode, login):
    client = login(world.front_desk)
    response = _send(client, world, episode.pk, delivery="in_person")
    assert not any("/q/" in m for m in _messages(response))
    assert not CollectionLink.objects.filter(delivery="in_person").exists()


def test_front_desk_cannot_tell_episodes_apart(world, episode, login):
    """The same answer for the patient's episode, another patient's, and none at all."""
    other = make_episode(world.other_patient, world.practitioner)
    client = login(world.front_desk)
    answers = []
    for episode_pk in (episode.pk, other.pk, 999999):
        client.cookies.pop("messages", None)  # each answer on its own
        response = _send(client, world, episode_pk, delivery="email")
        answers.append((response.status_code, response.get("Location"), _messages(response)))
    assert answers[0][0] == 302
    assert answers[0] == answers[1] == answers[2], answers
    assert CollectionLink.objects.count() == 1  # only the real episode's


def test_a_link_handed_over_in_person_records_who_and_how(world, episode, login, client):
    response = _send(login(world.practitioner), world, episode.pk, delivery="in_person")
    link = CollectionLink.objects.get()
    assert link.delivery == "in_person" and link.created_by == world.practitioner
    assert link.sent_to == "" and not mail.outbox
    [shown] = [m for m in _messages(response) if "/q/" in m]
    token = shown.split("/q/")[1].split("/")[0]
    client.logout()
    client.post(reverse("questionnaire_link_item", args=[token, "phq9"]),
                {**PHQ9_ALL_3, "action": "submit"})
    response = QuestionnaireResponse.objects.get()
    assert response.completed_by == "patient"
    assert response.channel == "in_person" and response.invited_by == world.practitioner
    assert OutcomeAlert.objects.filter(response=response).exists()


def test_an_emailed_link_records_the_address_on_the_record(world, episode, login, client):
    _send(login(world.practitioner), world, episode.pk, delivery="email")
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    token = message.body.split("/q/")[1].split("/")[0]
    client.logout()
    client.post(reverse("questionnaire_link_item", args=[token, "phq9"]),
                {**PHQ9_ALL_3, "action": "submit"})
    response = QuestionnaireResponse.objects.get()
    assert response.channel == "email" and response.invited_by == world.practitioner


def test_staff_entry_is_recorded_as_such(world, episode, login):
    login(world.practitioner).post(
        reverse("response_enter", args=[world.patient.pk, episode.pk, "phq9"]),
        {**PHQ9_ALL_3, "action": "submit"})
    response = QuestionnaireResponse.objects.get()
    assert response.completed_by == "staff" and response.channel == "staff"
    assert response.invited_by is None and response.entered_by == world.practitioner


def test_no_address_on_the_record_is_said_plainly(world, episode, login):
    Patient.objects.filter(pk=world.patient.pk).update(email="")
    response = _send(login(world.practitioner), world, episode.pk, delivery="email")
    assert response.status_code == 302
    assert any("no e-mail address on" in m for m in _messages(response))
    assert not CollectionLink.objects.exists() and not mail.outbox


def test_the_alert_says_how_the_answers_came_in_and_who_invited_them(world, episode, login,
                                                                     client):
    """The clinician judging a self-harm alert sees the channel and the inviter."""
    _send(login(world.front_desk), world, episode.pk, delivery="email")
    [message] = mail.outbox
    token = message.body.split("/q/")[1].split("/")[0]
    client.logout()
    client.post(reverse("questionnaire_link_item", args=[token, "phq9"]),
                {**PHQ9_ALL_3, "action": "submit"})
    page = login(world.practitioner).get(reverse("patient_outcomes", args=[world.patient.pk]))
    text = page.content.decode()
    assert "link e-mailed to the address on the patient&#x27;s record" in text
    assert f"invited by {world.front_desk.get_full_name() or world.front_desk.username}" in text
