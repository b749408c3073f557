"""Safety alerts (issue #26 item 7, safety.md §2): PHQ-9 item 9 in a draft or left blank
on a submission, and an emergency reported from home, alert the responsible clinician at
once by e-mail and SMS, show first on their home page, and stop the next session until the
follow-up is recorded."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.instruments.phq import SELF_HARM_ITEM, self_harm_alert
from acuback.outcomes import services
from acuback.outcomes.models import OutcomeAlert, QuestionnaireResponse
from acuback.scheduling.models import Notification
from acuback.treatment import services as treatment_services
from tests.factories import (
    make_consent,
    make_episode,
    make_session,
    make_signed_screening,
    request_for,
)

PHQ9_FIRST_EIGHT = {f"item_{n}": "1" for n in range(1, 9)}


@pytest.fixture
def episode(world):
    return make_episode(world.patient, world.practitioner)


@pytest.fixture
def link_item(world, episode):
    link = services.link_create(episode=episode, instrument_ids=["phq9"], time_point="baseline",
                                request=request_for(world.practitioner), delivery="in_person")
    return reverse("questionnaire_link_item", args=[services.link_token(link), "phq9"])


def enter_url(world, episode):
    return reverse("response_enter", args=[world.patient.pk, episode.pk, "phq9"]) + \
        "?time_point=baseline"


# --- the rule ----------------------------------------------------------------------------

ITEM = st.one_of(st.none(), st.integers(0, 3))


@given(others=st.dictionaries(st.integers(1, 8), st.integers(0, 3)), item9=ITEM,
       submitted=st.booleans())
def test_item_9_above_zero_always_alerts_and_a_blank_alerts_once_submitted(others, item9,
                                                                           submitted):
    answers = {**others, SELF_HARM_ITEM: item9} if item9 is not None else dict(others)
    expected = item9 > 0 if item9 is not None else submitted
    assert self_harm_alert(answers, submitted=submitted) is expected
    # a blank is never less alarming than any answer the patient could have given
    if item9 is None and submitted:
        assert all(self_harm_alert({**others, SELF_HARM_ITEM: v}, submitted=True) <=
                   self_harm_alert(answers, submitted=True) for v in range(4))


# --- PHQ-9 -------------------------------------------------------------------------------

def test_item_9_saved_in_a_draft_alerts_at_once(world, episode, link_item, client):
    """The patient answers item 9 = 3 on their link and presses "finish later"."""
    response = client.post(link_item, {"item_1": "2", "item_9": "3", "action": "save"})
    assert response.status_code == 302
    draft = QuestionnaireResponse.objects.get()
    assert draft.status == "draft"
    alert = OutcomeAlert.objects.get()
    assert (alert.response, alert.kind, alert.acknowledged_at) == (draft, "self_harm", None)
    # finishing it later does not alert twice
    client.post(link_item, {**PHQ9_FIRST_EIGHT, "item_9": "3", "action": "submit"})
    assert OutcomeAlert.objects.count() == 1


def test_a_draft_with_item_9_blank_does_not_alert_yet(world, episode, link_item, client):
    client.post(link_item, {"item_1": "2", "action": "save"})
    assert QuestionnaireResponse.objects.get().status == "draft"
    assert not OutcomeAlert.objects.exists()


@pytest.mark.parametrize("by", ["staff", "patient"])
def test_a_phq9_submitted_with_item_9_blank_is_accepted_and_alerts(world, episode, link_item,
                                                                    login, client, by):
    if by == "staff":
        url, http = enter_url(world, episode), login(world.practitioner)
    else:
        url, http = link_item, client
    response = http.post(url, {**PHQ9_FIRST_EIGHT, "action": "submit"})
    assert response.status_code == 302
    stored = QuestionnaireResponse.objects.get()
    assert stored.status == "submitted" and stored.total is None  # no total without item 9
    assert OutcomeAlert.objects.get().response == stored
    page = login(world.practitioner).get(reverse("patient_outcomes", args=[world.patient.pk]))
    assert "item 9 left blank" in page.content.decode()


def test_a_phq9_missing_another_item_is_still_refused(world, episode, login):
    answers = {**PHQ9_FIRST_EIGHT, "item_9": "0"}
    del answers["item_3"]
    response = login(world.practitioner).post(enter_url(world, episode),
                                              {**answers, "action": "submit"})
    assert response.status_code == 400 and "Not complete yet" in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()


# --- who is told, and how -------------------------------------------------------------------

def test_the_patients_practitioner_is_told_by_email_and_sms_and_sees_it_first(
        world, episode, link_item, client, login):
    world.practitioner.email, world.practitioner.mobile_phone = "p@alpha.test", "+13125550100"
    world.practitioner.save()
    make_session(world.patient, world.practitioner_record, world.location, episode=episode)
    client.post(link_item, {"item_9": "2", "action": "save"})
    alert = OutcomeAlert.objects.get()
    assert alert.responsible == world.practitioner
    sent = Notification.objects.filter(kind="safety_alert")
    assert sorted((n.channel, n.to) for n in sent) == [
        ("email", world.practitioner.email), ("sms", "+13125550100")]
    assert all(n.status == "pending" and n.patient == world.patient for n in sent)
    assert all(world.patient.family_name not in n.body for n in sent)  # no name in a text
    assert all(reverse("patient_outcomes", args=[world.patient.pk]) in n.body for n in sent)
    home = login(world.practitioner).get(reverse("home")).content.decode()
    assert "you are the responsible clinician" in home
    # first on the page: before the patient search and the day's list
    assert home.index("thoughts of self-harm") < home.index('role="search"')


def test_without_a_practitioner_the_clinic_admin_is_told(world, episode, link_item, client):
    world.admin.email = "admin@alpha.test"
    world.admin.save()
    client.post(link_item, {"item_9": "1", "action": "save"})
    assert OutcomeAlert.objects.get().responsible == world.admin
    assert [n.to for n in Notification.objects.filter(kind="safety_alert")] == [
        world.admin.email]


def test_a_practitioner_who_cannot_be_reached_is_backed_up_by_the_admin(world, episode,
                                                                       link_item, client):
    world.admin.email = "admin@alpha.test"
    world.admin.save()
    make_session(world.patient, world.practitioner_record, world.location, episode=episode)
    client.post(link_item, {"item_9": "1", "action": "save"})
    assert OutcomeAlert.objects.get().responsible == world.practitioner  # still theirs
    assert [n.to for n in Notification.objects.filter(kind="safety_alert")] == [
        "admin@alpha.test"]


def test_the_alert_is_queued_for_sending_at_once(world, episode, link_item, client,
                                                django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        client.post(link_item, {"item_9": "1", "action": "save"})
    assert DBTaskResult.objects.filter(
        task_path="acuback.scheduling.tasks.notifications_send_now").exists()


# --- the session gate ----------------------------------------------------------------------

def test_an_open_alert_blocks_the_next_session_until_the_follow_up(world, login):
    make_consent(world.patient, world.practitioner)
    world.episode = make_signed_screening(world.patient, world.practitioner).episode
    services.response_save(patient=world.patient, episode=world.episode, instrument_id="phq9",
                           time_point="baseline", answers={9: 3}, submit=False,
                           completed_by="patient", request=None)
    alert = OutcomeAlert.objects.get()

    def start():
        return treatment_services.session_start(
            episode=world.episode, practitioner=world.practitioner_record,
            location=world.location, request=request_for(world.practitioner))

    with pytest.raises(treatment_services.TreatmentError, match="Open safety alert"):
        start()
    prac = login(world.practitioner)
    page = prac.post(reverse("session_new", args=[world.patient.pk, world.episode.pk]),
                     follow=True)
    assert "Open safety alert" in page.content.decode()
    assert not world.episode.sessions.exists()
    prac.post(reverse("outcome_alert_acknowledge", args=[world.patient.pk, alert.pk]),
              {"note": "Phoned at 09:10: no plan or intent; GP informed."})
    assert start().pk


# --- an emergency reported from home -------------------------------------------------------

def test_an_emergency_in_a_home_intake_alerts_and_blocks_the_next_session(world, login):
    make_consent(world.patient, world.practitioner)
    episode = make_episode(world.patient, world.practitioner)
    make_session(world.patient, world.practitioner_record, world.location, episode=episode)
    world.practitioner.email = "p@alpha.test"
    world.practitioner.save()
    response = login(world.patient_user).post(reverse("portal_intake"),
                                              {"saddle_numbness": "yes"})
    assert "Go to an emergency department now" in response.content.decode()
    alert = OutcomeAlert.objects.get()
    assert (alert.kind, alert.responsible, alert.response) == (
        "intake_emergency", world.practitioner, None)
    assert alert.screening.episode == episode
    assert Notification.objects.filter(kind="safety_alert", to=world.practitioner.email).exists()
    home = login(world.practitioner).get(reverse("home")).content.decode()
    assert "Home intake: emergency red flag" in home
    outcomes = login(world.practitioner).get(
        reverse("patient_outcomes", args=[world.patient.pk])).content.decode()
    assert "reported an emergency red flag" in outcomes
    with pytest.raises(treatment_services.TreatmentError, match="Open safety alert"):
        treatment_services.session_start(episode=episode, practitioner=world.practitioner_record,
                                         location=world.location,
                                         request=request_for(world.practitioner))


def test_the_clinic_admin_sets_the_mobile_number_alerts_go_to(world, login):
    # In the application's clinic administration (the Django admin is operators-only).
    client = login(world.admin)
    url = reverse("clinic_staff_detail", args=[world.practitioner.pk])
    assert 'name="mobile_phone"' in client.get(url).content.decode()
    details = {"email": world.practitioner.email or "p@example.org",
               "first_name": "Pat", "last_name": "Lee"}
    response = client.post(url, {**details, "mobile_phone": "+1 503 555 0100"})
    assert response.status_code == 302
    world.practitioner.refresh_from_db()
    assert world.practitioner.mobile_phone == "+1 503 555 0100"
    response = client.post(url, {**details, "mobile_phone": "call me"})
    assert response.status_code == 400 and b'id="id_mobile_phone_error"' in response.content


def test_a_home_intake_reporting_an_emergency_again_after_the_follow_up_alerts_again(
        world, login):
    make_episode(world.patient, world.practitioner)
    patient = login(world.patient_user)
    patient.post(reverse("portal_intake"), {"saddle_numbness": "yes"})
    patient.post(reverse("portal_intake"), {"saddle_numbness": "yes"})
    assert OutcomeAlert.objects.count() == 1  # still open: not twice
    first = OutcomeAlert.objects.get()
    services.alert_acknowledge(alert=first, note="Phoned: on the way to the ED.",
                               request=request_for(world.practitioner))
    patient = login(world.patient_user)
    patient.post(reverse("portal_intake"), {"saddle_numbness": "yes", "bilateral_leg_weakness": "yes"})
    assert OutcomeAlert.objects.filter(acknowledged_at__isnull=True).count() == 1
