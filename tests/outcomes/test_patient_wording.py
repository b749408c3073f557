"""An instrument whose wording is not loaded is never sent or shown to a patient; the
default schedule uses instruments whose wording ships; the clinic admin sees what
loading a licensed text would add; physical tests are clinician measurements."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import instruments
from acuback.outcomes import services
from acuback.outcomes.models import CollectionLink
from acuback.outcomes.schedule import (
    CLINICIAN_ONLY,
    DEFAULT_BASELINE,
    DEFAULT_DISCHARGE,
    DEFAULT_FOLLOW_UP,
    DEFAULT_REVIEW,
    RECOMMENDED,
    SHIPPED_WORDING,
    schedule_for,
    with_wording,
)
from acuback.outcomes.selectors import due_for
from acuback.scheduling import notifications
from tests.factories import clinic_today, make_episode, request_for

NOT_SHIPPED = [i.id for i in instruments.all_instruments() if not i.ship_text]


@pytest.fixture
def episode(world):
    world.patient.email = "alice@example.com"
    world.patient.save()
    return make_episode(world.patient, world.practitioner)


def load_odi(clinic):
    services.text_load(clinic=clinic, data={
        "instrument": "odi", "copyright": "© Licensed",
        "items": {str(n): {"text": f"Licensed ODI section {n}"} for n in range(1, 11)}})


IDS = sorted(instruments.REGISTRY)


@given(st.lists(st.sampled_from(IDS), unique=True), st.sets(st.sampled_from(IDS)))
def test_with_wording_keeps_exactly_the_available_ones_in_order(wanted, available):
    kept = with_wording(wanted, available)
    assert list(kept) == [i for i in wanted if i in available]


@given(st.sets(st.sampled_from(IDS)))
def test_a_loaded_text_only_ever_adds_to_the_default_schedule(loaded):
    for ids in RECOMMENDED.values():
        default = with_wording(ids, SHIPPED_WORDING)
        with_loaded = with_wording(ids, SHIPPED_WORDING | loaded)
        assert set(default) <= set(with_loaded) <= set(ids)


def test_the_default_schedule_has_only_instruments_whose_wording_ships():
    for time_point in (DEFAULT_BASELINE, DEFAULT_REVIEW, DEFAULT_DISCHARGE, DEFAULT_FOLLOW_UP):
        assert time_point, "each time point still collects something"
        for instrument_id in time_point:
            assert instruments.get(instrument_id).ship_text, instrument_id
    assert "odi" not in DEFAULT_BASELINE and "nrs" in DEFAULT_BASELINE


def test_the_patient_is_not_sent_oswestry_or_the_physical_tests(world, episode):
    notifications.plan_questionnaire_invitations(timezone.now())
    [link] = CollectionLink.objects.filter(episode=episode)
    assert not set(link.instruments) & (set(NOT_SHIPPED) | CLINICIAN_ONLY)
    assert "nrs" in link.instruments


def test_the_patients_home_and_their_link_show_no_paraphrase(world, episode, login, client):
    patient = login(world.patient_user)
    home = patient.get(reverse("home")).content.decode()
    assert "Questionnaires to complete" in home
    patient.post(reverse("portal_questionnaires", args=[episode.pk, "baseline"]))
    link = CollectionLink.objects.get()
    assert "odi" not in link.instruments and "schober" not in link.instruments
    page = client.get(reverse("questionnaire_link", args=[services.link_token(link)]))
    text = page.content.decode()
    assert "Oswestry" not in text and "Statement 1" not in text


def test_a_link_with_oswestry_is_refused_naming_it_until_its_wording_is_loaded(world, episode):
    request = request_for(world.practitioner)
    with pytest.raises(services.OutcomeError, match="Oswestry Disability Index has no licensed "
                                                    "wording loaded"):
        services.link_create(episode=episode, instrument_ids=["nrs", "odi"],
                             time_point="baseline", request=request, delivery="in_person")
    with pytest.raises(services.OutcomeError, match="Modified Schober test is a clinician"):
        services.link_create(episode=episode, instrument_ids=["schober"],
                             time_point="baseline", request=request, delivery="in_person")
    assert not CollectionLink.objects.exists() and mail.outbox == []
    load_odi(world.clinic)
    link = services.link_create(episode=episode, instrument_ids=["nrs", "odi"],
                                time_point="baseline", request=request, delivery="in_person")
    assert link.instruments == ["nrs", "odi"]


def test_staff_are_offered_only_what_a_patient_can_answer_when_sending_a_link(world, episode,
                                                                               login):
    page = login(world.practitioner).get(
        reverse("patient_outcomes", args=[world.patient.pk])).content.decode()
    link_form = page[page.index('name="instruments"') - 2000:]
    assert 'value="nrs"' in link_form and 'value="odi"' not in link_form


def test_an_old_link_naming_oswestry_shows_and_asks_only_the_rest(world, episode, client):
    link = CollectionLink.objects.create(
        patient=world.patient, episode=episode, instruments=["odi", "nrs"],
        time_point="review", expires_at=timezone.now() + timedelta(days=7))
    token = services.link_token(link)
    page = client.get(reverse("questionnaire_link", args=[token])).content.decode()
    assert "Oswestry" not in page and "Done 0 of 1" in page
    odi = client.get(reverse("questionnaire_link_item", args=[token, "odi"]))
    assert odi.status_code == 404 and "Statement" not in odi.content.decode()
    client.post(reverse("questionnaire_link_item", args=[token, "nrs"]),
                {"item_1": "4", "action": "submit"})
    link.refresh_from_db()
    assert link.used_at is not None  # finished: nothing else it can ask


def test_loading_a_licensed_text_adds_it_to_the_default_schedule(world, episode):
    today = clinic_today(world.clinic)
    assert "odi" not in due_for(episode, today)[0].instruments
    load_odi(world.clinic)
    assert "odi" in schedule_for(world.clinic).baseline
    assert "odi" in due_for(episode, today)[0].instruments
    assert "odi" in schedule_for(world.clinic).follow_up


def test_the_clinic_admin_sees_what_loading_a_licensed_text_would_add(world, login):
    page = login(world.admin).get(reverse("home")).content.decode()
    assert "Questionnaires waiting for their licensed wording" in page
    assert ("<strong>Oswestry Disability Index</strong>: at baseline, review, discharge, "
            "3- and 6-month follow-up") in page
    assert "Keele STarT Back Screening Tool</strong>: at baseline<" in page
    load_odi(world.clinic)
    page = login(world.admin).get(reverse("home")).content.decode()
    assert "<strong>Oswestry Disability Index</strong>" not in page


def test_physical_tests_are_measurements_not_questionnaires_due(world, episode, login):
    from tests.factories import make_session

    make_session(world.patient, world.practitioner_record, world.location, episode=episode)
    page = login(world.practitioner).get(reverse("home")).content.decode()
    section = page[page.index("Outcomes due"):]
    section = section[:section.index("</section>")]
    assert "Baseline (4 questionnaires)" in section
    assert "measure at the visit: Modified Schober test, Fingertip-to-floor distance" in section


def test_a_positive_gad2_on_a_link_does_not_add_the_paraphrased_gad7(world, episode, client):
    link = services.link_create(episode=episode, instrument_ids=["gad2"], time_point="baseline",
                                request=request_for(world.practitioner), delivery="in_person")
    token = services.link_token(link)
    response = client.post(reverse("questionnaire_link_item", args=[token, "gad2"]),
                           {"item_1": "3", "item_2": "3", "action": "submit"}, follow=True)
    link.refresh_from_db()
    assert link.instruments == ["gad2"] and link.used_at is not None
    assert "GAD-7" not in response.content.decode()


def test_the_link_page_gives_its_expiry_on_the_clinics_calendar(world, episode, client):
    from datetime import UTC, datetime

    import time_machine

    # 21:00 on 9 December in Chicago; the server's zone (UTC+14 here, UTC in many
    # deployments) is already on the 10th. A patient opening the link has no account.
    link = CollectionLink.objects.create(
        patient=world.patient, episode=episode, instruments=["nrs"], time_point="review",
        expires_at=datetime(2026, 12, 10, 3, 0, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 12, 5, 12, 0, tzinfo=UTC), tick=False):
        page = client.get(reverse("questionnaire_link", args=[services.link_token(link)]))
    assert "until 9 December" in page.content.decode()
