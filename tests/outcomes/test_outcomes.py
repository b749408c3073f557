"""Responses, corrections, links, alerts, schedule and charts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from acuback import signing
from acuback.outcomes import services
from acuback.outcomes.models import CollectionLink, OutcomeAlert, QuestionnaireResponse
from acuback.outcomes.selectors import due_for, progress
from tests.factories import make_episode, make_session, request_for

ODI_ALL_2 = {f"item_{n}": "2" for n in range(1, 11)}


@pytest.fixture
def episode(world):
    return make_episode(world.patient, world.practitioner)


@pytest.fixture
def prac(world, login):
    return login(world.practitioner)


def submit(world, episode, instrument, answers, time_point="baseline", **kw):
    return services.response_save(patient=world.patient, episode=episode,
                                  instrument_id=instrument, time_point=time_point,
                                  answers=answers, submit=True, completed_by="staff",
                                  request=request_for(world.practitioner), **kw)


def enter_url(world, episode, instrument, time_point="baseline"):
    return reverse("response_enter", args=[world.patient.pk, episode.pk, instrument]) + \
        f"?time_point={time_point}"


def test_staff_entry_stores_answers_scores_and_versions(world, episode, prac):
    response = prac.post(enter_url(world, episode, "odi"), {**ODI_ALL_2, "action": "submit"})
    assert response.status_code == 302
    stored = QuestionnaireResponse.objects.get()
    assert (stored.total, stored.band) == (40.0, "moderate disability")
    assert stored.answers == {str(n): 2.0 for n in range(1, 11)}
    assert stored.instrument_version == "2.1a" and stored.scorer_version == "instruments-2026.1"
    assert stored.wording == "paraphrase" and stored.completed_by == "staff"
    assert stored.entered_by == world.practitioner


def test_an_incomplete_submission_is_refused_but_can_be_saved(world, episode, prac):
    partial = {f"item_{n}": "1" for n in range(1, 6)}
    refused = prac.post(enter_url(world, episode, "odi"), {**partial, "action": "submit"})
    assert refused.status_code == 400
    assert "Not complete yet: not scored: 5 of 10 sections" in refused.content.decode()
    assert prac.post(enter_url(world, episode, "odi"), {**partial, "action": "save"}
                     ).status_code == 302
    draft = QuestionnaireResponse.objects.get()
    assert draft.status == "draft" and draft.total is None
    page = prac.get(enter_url(world, episode, "odi"))
    assert page.context["form"]["item_3"].value() == "1"  # resumed


def test_an_out_of_range_answer_is_named_on_its_item(world, episode, prac):
    response = prac.post(enter_url(world, episode, "odi"),
                         {**ODI_ALL_2, "item_4": "9", "action": "submit"})
    assert "Select a valid choice" in response.context["form"].errors["item_4"][0]
    response = prac.post(enter_url(world, episode, "schober"), {"item_1": "40",
                                                                "action": "submit"})
    assert "less than or equal to 15" in response.context["form"].errors["item_1"][0]


def test_a_correction_supersedes_and_only_the_newest_counts(world, episode, prac):
    original = submit(world, episode, "nrs", {1: 7})
    url = reverse("response_correct", args=[world.patient.pk, original.pk])
    assert prac.post(url, {"item_1": "4", "action": "submit"}).status_code == 400  # reason
    prac.post(url, {"item_1": "4", "action": "submit", "correction_reason": "Typed 7 for 4"})
    original.refresh_from_db()
    assert original.total == 7  # the original is kept as it was
    assert list(QuestionnaireResponse.objects.current().values_list("total", flat=True)) == [4]
    with pytest.raises(services.OutcomeError):
        submit(world, episode, "nrs", {1: 5}, supersedes=original)


def test_the_service_refuses_out_of_range_answers_naming_the_item(world, episode):
    with pytest.raises(ValueError, match="item 1 answer 12 is out of range"):
        submit(world, episode, "nrs", {1: 12})


def test_a_phq9_item_9_above_zero_alerts_until_followed_up(world, episode, prac, login):
    submit(world, episode, "phq9", {**dict.fromkeys(range(1, 9), 0), 9: 1})
    alert = OutcomeAlert.objects.get()
    for user in (world.practitioner, world.admin):
        assert "thoughts of self-harm" in login(user).get(reverse("home")).content.decode()
    assert "thoughts of self-harm" not in login(world.front_desk).get(
        reverse("home")).content.decode()
    url = reverse("outcome_alert_acknowledge", args=[world.patient.pk, alert.pk])
    prac = login(world.practitioner)
    page = reverse("patient_outcomes", args=[world.patient.pk])
    assert "answered the PHQ-9" in (shown := prac.get(page).content.decode())
    assert "item 9 = 1" in shown and url in shown  # the alert with its response's answer
    prac.post(url, {"note": ""})
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    prac.post(url, {"note": "Phoned the patient at 14:10; GP informed; safety plan agreed."})
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None and alert.acknowledged_by == world.practitioner
    assert "thoughts of self-harm" not in prac.get(reverse("home")).content.decode()
    assert "answered the PHQ-9" not in prac.get(page).content.decode()


def test_item_9_at_zero_raises_no_alert(world, episode):
    submit(world, episode, "phq9", dict.fromkeys(range(1, 10), 0))
    assert not OutcomeAlert.objects.exists()


def test_a_positive_phq2_offers_the_phq9(world, episode, prac):
    response = prac.post(enter_url(world, episode, "phq2"),
                         {"item_1": "2", "item_2": "1", "action": "submit"}, follow=True)
    assert "Please also complete the PHQ-9" in response.content.decode()


def test_the_form_says_which_wording_is_in_use(world, episode, prac):
    assert "Paraphrased topics" in prac.get(enter_url(world, episode, "odi")).content.decode()
    assert "Full wording" in prac.get(enter_url(world, episode, "phq9")).content.decode()
    services.text_load(clinic=world.clinic, data={
        "instrument": "peg", "copyright": "© Licensed",
        "items": {str(n): {"text": f"Licensed {n}"} for n in (1, 2, 3)}})
    page = prac.get(enter_url(world, episode, "peg")).content.decode()
    assert "licensed wording" in page and "Licensed 2" in page and "© Licensed" in page
    # The response records the wording the form was shown in.
    prac.post(enter_url(world, episode, "peg"),
              {"item_1": "6", "item_2": "5", "item_3": "4", "action": "submit"})
    prac.post(enter_url(world, episode, "odi"), {**ODI_ALL_2, "action": "submit"})
    assert dict(QuestionnaireResponse.objects.values_list("instrument", "wording")) == {
        "peg": "licensed", "odi": "paraphrase"}


# --- links ------------------------------------------------------------------------------

@pytest.fixture
def link(world, episode):
    world.patient.email = "alice@example.com"
    world.patient.save(update_fields=["email"])
    link = services.link_create(episode=episode, instrument_ids=["pgic", "nrs"],
                                time_point="review", request=request_for(world.practitioner),
                                delivery="email")
    services.link_email(link=link, request=None)
    return link


def test_a_link_is_emailed_and_opens_without_an_account(world, link, client):
    assert len(mail.outbox) == 1 and "/q/" in mail.outbox[0].body
    token = services.link_token(link)
    page = client.get(reverse("questionnaire_link", args=[token]))
    assert page.status_code == 200 and "Done 0 of 2" in page.content.decode()


def test_the_patient_completes_a_link_which_then_cannot_be_reused(world, link, client):
    token = services.link_token(link)
    item = reverse("questionnaire_link_item", args=[token, "pgic"])
    client.post(item, {"item_1": "3", "action": "save"})
    draft = QuestionnaireResponse.objects.get()
    assert draft.completed_by == "patient" and draft.status == "draft"
    client.post(item, {"item_1": "3", "action": "submit"})
    client.post(reverse("questionnaire_link_item", args=[token, "nrs"]),
                {"item_1": "3", "action": "submit"})
    link.refresh_from_db()
    assert link.used_at is not None
    reused = client.get(reverse("questionnaire_link", args=[token]))
    assert reused.status_code == 410 and "already been used" in reused.content.decode()
    again = client.post(reverse("questionnaire_link_item", args=[token, "nrs"]),
                        {"item_1": "9", "action": "submit"})
    assert again.status_code == 410
    assert QuestionnaireResponse.objects.filter(instrument="nrs").count() == 1


def test_an_expired_link_is_refused(world, link, client):
    CollectionLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(1))
    response = client.get(reverse("questionnaire_link", args=[services.link_token(link)]))
    assert response.status_code == 410 and "expired" in response.content.decode()


@pytest.mark.parametrize("tamper", [lambda t: t[:-2] + "xx", lambda t: "eyJsaW5rIjo5OX0" + t[15:],
                                    lambda t: "nonsense"])
def test_a_tampered_link_is_refused(world, link, client, tamper):
    response = client.get(reverse("questionnaire_link", args=[tamper(services.link_token(link))]))
    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_a_link_opens_only_its_own_questionnaires(world, link, client):
    response = client.get(reverse("questionnaire_link_item",
                                  args=[services.link_token(link), "phq9"]))
    assert response.status_code == 404


# --- schedule, progress, charts -----------------------------------------------------------

def test_baseline_is_due_until_complete_then_review_after_four_sessions(world, episode):
    today = timezone.localdate()
    assert [d.time_point for d in due_for(episode, today)] == ["baseline"]
    for instrument, answers in [("nrs", {1: 7}), ("odi", dict.fromkeys(range(1, 11), 3)),
                                ("startback", dict.fromkeys(range(1, 10), 0)),
                                ("peg", {1: 7, 2: 6, 3: 6}), ("phq2", {1: 0, 2: 0}),
                                ("gad2", {1: 0, 2: 0}), ("psfs", {1: 3}), ("schober", {1: 3}),
                                ("ffd", {1: 20})]:
        submit(world, episode, instrument, answers)
    assert due_for(episode, today) == []
    from acuback.treatment.models import Session

    for _ in range(4):
        session = make_session(world.patient, world.practitioner_record, world.location,
                               episode=episode)
        with signing.signing():  # arranging data signed earlier
            Session.objects.filter(pk=session.pk).update(status="signed", signed_at=timezone.now())
    assert [d.time_point for d in due_for(episode, today)] == ["review"]


def test_discharge_and_follow_ups_are_due_after_discharge(world, episode):
    episode.status, episode.discharged_on = "discharged", timezone.localdate() - timedelta(100)
    episode.save()
    due = [d.time_point for d in due_for(episode, timezone.localdate())]
    assert due == ["baseline", "discharge", "follow_up_3m"]


def test_not_improving_after_six_sessions_without_mcid(world, episode, prac):
    from acuback.treatment.models import Session

    submit(world, episode, "nrs", {1: 7})
    submit(world, episode, "nrs", {1: 6}, time_point="review")
    for _ in range(6):
        s = make_session(world.patient, world.practitioner_record, world.location, episode=episode)
        with signing.signing():  # arranging data signed earlier
            Session.objects.filter(pk=s.pk).update(status="signed", signed_at=timezone.now())
    assert progress(episode).not_improving
    page = prac.get(reverse("patient_outcomes", args=[world.patient.pk])).content.decode()
    assert "Not improving:" in page
    submit(world, episode, "nrs", {1: 4}, time_point="review")
    assert not progress(episode).not_improving


def test_the_outcomes_page_shows_an_svg_chart_with_a_data_table(world, episode, prac,
                                                                settings):
    submit(world, episode, "odi", dict.fromkeys(range(1, 11), 3))
    submit(world, episode, "odi", dict.fromkeys(range(1, 11), 1), time_point="review")
    page = prac.get(reverse("patient_outcomes", args=[world.patient.pk])).content.decode()
    assert page.count("<svg") >= 1 and "Oswestry Disability Index scores" in page
    assert "60.0" in page and "20.0" in page and "improving" in page
    assert list((settings.DATA_DIR / "charts").glob("*.svg"))


def test_the_outcomes_page_links_to_entry_due_questionnaires_and_corrections(world, episode,
                                                                             prac):
    response = submit(world, episode, "nrs", {1: 7})
    page = prac.get(reverse("patient_outcomes", args=[world.patient.pk])).content.decode()
    correct = reverse("response_correct", args=[world.patient.pk, response.pk])
    assert f'<a href="{correct}">Correct</a>' in page
    assert f'<a href="{enter_url(world, episode, "psfs")}">psfs</a>' in page  # due at baseline
    for instrument in ("nrs", "phq9", "schober", "ffd"):  # entry of any instrument
        assert f'<a href="{enter_url(world, episode, instrument, "other")}">' in page
    assert prac.get(enter_url(world, episode, "schober", "other")).status_code == 200


def test_a_patient_answers_what_is_due_from_their_home_page(world, episode, login):
    client = login(world.patient_user)
    assert "Questionnaires to complete" in client.get(reverse("home")).content.decode()
    response = client.post(reverse("portal_questionnaires", args=[episode.pk, "baseline"]))
    link = CollectionLink.objects.get()
    # Questionnaires with their wording; not the clinician's tests, not a paraphrase.
    assert "schober" not in link.instruments and "odi" not in link.instruments
    assert "nrs" in link.instruments
    assert response["Location"] == reverse("questionnaire_link",
                                           args=[services.link_token(link)])


def test_a_clinic_schedule_with_an_unknown_instrument_is_refused(world):
    from django.core.exceptions import ValidationError

    from acuback.outcomes.models import OutcomeSchedule

    schedule = OutcomeSchedule(clinic=world.clinic, baseline=["nrs", "sf36"], review=["nrs"],
                               discharge=["nrs"], follow_up="odi")
    with pytest.raises(ValidationError) as excinfo:
        schedule.full_clean()
    assert set(excinfo.value.message_dict) == {"baseline", "follow_up"}


def test_a_clinic_schedule_changes_what_is_due(world, episode):
    from acuback.outcomes.models import OutcomeSchedule

    OutcomeSchedule.objects.create(clinic=world.clinic, baseline=["rmdq"], review=["rmdq"],
                                   discharge=["rmdq"], follow_up=["rmdq"])
    world.clinic.refresh_from_db()
    assert due_for(episode, timezone.localdate())[0].instruments == ("rmdq",)


def test_a_positive_phq2_on_a_link_adds_the_phq9_to_it(world, episode, client):
    link = services.link_create(episode=episode, instrument_ids=["phq2"], time_point="baseline",
                                request=request_for(world.practitioner), delivery="in_person")
    token = services.link_token(link)
    client.post(reverse("questionnaire_link_item", args=[token, "phq2"]),
                {"item_1": "2", "item_2": "2", "action": "submit"})
    link.refresh_from_db()
    assert link.instruments == ["phq2", "phq9"] and link.used_at is None
    page = client.get(reverse("questionnaire_link", args=[token])).content.decode()
    assert "Start: PHQ-9" in page


def test_the_patient_home_counts_only_what_the_patient_answers(world, episode, login):
    for instrument, answers in [("nrs", {1: 7}), ("odi", dict.fromkeys(range(1, 11), 3)),
                                ("startback", dict.fromkeys(range(1, 10), 0)),
                                ("peg", {1: 7, 2: 6, 3: 6}), ("phq2", {1: 0, 2: 0}),
                                ("gad2", {1: 0, 2: 0}), ("psfs", {1: 3})]:
        submit(world, episode, instrument, answers)
    page = login(world.patient_user).get(reverse("home")).content.decode()
    assert "Questionnaires to complete" not in page  # only the clinician's tests remain


def test_open_draft_is_the_orms_first_open_draft_of_exactly_that_questionnaire(world, episode):
    from django.db import transaction

    def draft(time_point="baseline", **kw):
        return services.response_save(patient=world.patient, episode=episode,
                                      instrument_id="nrs", time_point=time_point,
                                      answers={1: 4}, submit=False, completed_by="staff",
                                      request=request_for(world.practitioner), **kw)

    def orm(time_point, link=None, supersedes=None):
        return QuestionnaireResponse.objects.filter(
            episode=episode, instrument="nrs", time_point=time_point, link=link,
            supersedes=supersedes, status="draft").first()

    link = services.link_create(episode=episode, instrument_ids=["nrs"], time_point="review",
                                request=request_for(world.practitioner), delivery="in_person")
    submitted = submit(world, episode, "nrs", {1: 6})
    staff, by_link = draft("review"), draft("review", link=link)
    correction = draft("baseline", supersedes=submitted)
    cases = [("baseline", None, None), ("review", None, None), ("review", link, None),
             ("baseline", None, submitted), ("review", None, submitted), ("discharge", None, None)]
    for time_point, with_link, supersedes in cases:
        found = services.open_draft(episode_id=episode.pk, instrument_id="nrs",
                                    time_point=time_point,
                                    link_id=with_link.pk if with_link else None,
                                    supersedes_id=supersedes.pk if supersedes else None)
        expected = orm(time_point, with_link, supersedes)
        assert (found and found.pk) == (expected and expected.pk), (time_point, with_link)
    assert {staff.pk, by_link.pk, correction.pk} == {
        orm("review").pk, orm("review", link).pk, orm("baseline", supersedes=submitted).pk}
    with transaction.atomic():  # locked where the database locks rows
        locked = services.open_draft(episode_id=episode.pk, instrument_id="nrs",
                                     time_point="review", lock=True)
    assert locked.pk == staff.pk and locked.answers == {"1": 4}
