"""Every page that says "responder" counts by the one rule (clinical/responders.py): the
patient's chart, the clinic dashboard and the claims ledger, compared with
``responders.responder`` over generated score pairs."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuback.clinical import instruments, responders
from acuback.insights.ledger import figure
from acuback.insights.selectors import clinic_episodes, responder_rates
from acuback.outcomes import selectors as outcome_selectors
from acuback.outcomes import services as outcomes
from acuback.outcomes.models import EpisodeMeasure
from tests.factories import make_episode, request_for

LATER = ("review", "discharge", "follow_up_3m", "follow_up_6m")
ODI = st.lists(st.integers(0, 5), min_size=10, max_size=10).map(
    lambda a: dict(enumerate(a, 1)))
NRS = st.integers(0, 10).map(lambda v: {1: v})
SCHOBER = st.integers(0, 150).map(lambda v: {1: v / 10})
ANSWERS = {"nrs": NRS, "odi": ODI, "schober": SCHOBER}


def _episode_scores(instrument):
    # (instrument, baseline answers, later time point, later answers)
    return st.tuples(st.just(instrument), ANSWERS[instrument], st.sampled_from(LATER),
                     ANSWERS[instrument])


EPISODES = st.lists(st.sampled_from(sorted(ANSWERS)).flatmap(_episode_scores),
                    min_size=1, max_size=4)
SLOW = settings(max_examples=20, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _save(world, episode, instrument, time_point, answers):
    return outcomes.response_save(
        patient=world.patient, episode=episode, instrument_id=instrument,
        time_point=time_point, answers=answers, submit=True, completed_by="staff",
        request=request_for(world.practitioner))


def _record(world, generated):
    """Each generated episode's (instrument, time point, baseline, later) totals."""
    pairs = []
    for instrument, first, time_point, later in generated:
        episode = make_episode(world.patient, world.practitioner)
        baseline = _save(world, episode, instrument, "baseline", first).total
        pairs.append((episode, instrument, time_point, baseline,
                      _save(world, episode, instrument, time_point, later).total))
    return pairs


def _expected(pairs, instrument, time_point=None):
    flags = [responders.responder(i, baseline=b, current=c) for _, i, tp, b, c in pairs
             if i == instrument and (time_point is None or tp == time_point)]
    return len(flags), sum(1 for f in flags if f)


@SLOW
@given(EPISODES)
def test_the_dashboard_counts_responders_by_the_one_rule(world, generated):
    with transaction.atomic():
        pairs = _record(world, generated)
        rates = responder_rates(clinic_episodes(clinic_ids=[world.clinic.pk]))
        for rate in rates:
            assert (rate.n, rate.responders) == _expected(pairs, rate.measure, rate.time_point)
        transaction.set_rollback(True)


@SLOW
@given(EPISODES)
def test_the_claims_ledger_counts_responders_by_the_one_rule(world, generated):
    with transaction.atomic():
        pairs = _record(world, generated)
        episodes = clinic_episodes(clinic_ids=[world.clinic.pk])
        for instrument in ANSWERS:
            fig = figure(episodes, instrument)
            assert (fig.n, fig.responders) == _expected(pairs, instrument)
        transaction.set_rollback(True)


@SLOW
@given(EPISODES)
def test_the_patients_chart_calls_improving_what_the_one_rule_calls_a_responder(world,
                                                                                 generated):
    with transaction.atomic():
        for episode, instrument, _, baseline, later in _record(world, generated):
            series = {s.instrument_id: s
                      for s in outcome_selectors.progress(episode).series}[instrument]
            improving = series.status.change.direction == "improving"
            assert improving == responders.responder(instrument, baseline=baseline,
                                                     current=later)
        transaction.set_rollback(True)


def test_the_measure_stores_each_flag_with_the_rules_version(world):
    episode = make_episode(world.patient, world.practitioner)
    _save(world, episode, "odi", "baseline", dict.fromkeys(range(1, 11), 3))  # 60
    _save(world, episode, "odi", "review", dict.fromkeys(range(1, 11), 2) | {1: 3})  # 42
    measure = EpisodeMeasure.objects.get(episode=episode, instrument="odi")
    assert measure.responder_review is True and measure.responder_latest is True
    assert measure.responder_discharge is None
    assert measure.responder_rule_version == responders.RULE_VERSION


def test_an_odi_change_from_60_to_50_is_a_responder_on_the_chart_and_the_dashboard(world,
                                                                                    login):
    episode = make_episode(world.patient, world.practitioner)
    _save(world, episode, "odi", "baseline", dict.fromkeys(range(1, 11), 3))   # 60
    _save(world, episode, "odi", "review", dict.fromkeys(range(1, 11), 3) | {1: 0, 2: 1})
    rate = next(r for r in responder_rates(clinic_episodes(clinic_ids=[world.clinic.pk]))
                if (r.measure, r.time_point) == ("odi", "review"))
    assert (rate.n, rate.responders) == (1, 1)
    page = login(world.admin).get(reverse("insights_dashboard")).content.decode()
    assert escape(responders.DEFINITION) in page


def test_the_ledger_says_measurement_error_for_range_of_motion_not_mcid(world, login):
    episode = make_episode(world.patient, world.practitioner)
    _save(world, episode, "schober", "baseline", {1: 3.0})
    _save(world, episode, "schober", "review", {1: 5.5})
    page = login(world.admin).get(reverse("insights_dashboard")).content.decode()
    schober = instruments.get("schober").name
    line = next(part for part in page.split("<br>") if schober in part)
    assert "improved beyond measurement error" in line and "MCID" not in line


def test_the_chart_states_the_rule_for_each_measure(world, login):
    episode = make_episode(world.patient, world.practitioner)
    _save(world, episode, "nrs", "baseline", {1: 7})
    _save(world, episode, "nrs", "review", {1: 4})
    page = login(world.practitioner).get(
        reverse("patient_outcomes", args=[world.patient.pk])).content.decode()
    assert responders.threshold_text("nrs") in page


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.integers(0, 200))
def test_the_dashboards_chronic_cohort_is_the_chronicity_rule(world, days_before_opening):
    from datetime import date, timedelta

    from acuback.clinical.episodes import Chronicity, chronicity
    from acuback.insights.selectors import chronic_at_opening
    from acuback.patients.models import EpisodeOfCare

    opened = date(2026, 6, 1)
    onset = opened - timedelta(days=days_before_opening)
    with transaction.atomic():
        episode = make_episode(world.patient, world.practitioner, onset_date=onset,
                               opened_on=opened)
        in_sql = EpisodeOfCare.objects.filter(pk=episode.pk).filter(chronic_at_opening()).exists()
        assert in_sql == (chronicity(onset, opened) is Chronicity.CHRONIC)
        transaction.set_rollback(True)
