"""Clinic outcome figures against a hand-computed cohort."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from acuback import signing
from acuback.clinical.evidence import wilson_interval
from acuback.insights.selectors import clinic_episodes, responder_rates
from acuback.outcomes import services as outcomes
from acuback.treatment.models import Session
from tests.factories import (
    make_episode,
    make_practitioner,
    make_session,
    make_user,
    request_for,
)


def score(world, episode, time_point, value, instrument="nrs"):
    answers = {1: value} if instrument == "nrs" else dict.fromkeys(range(1, 11), value)
    outcomes.response_save(patient=world.patient, episode=episode, instrument_id=instrument,
                           time_point=time_point, answers=answers, submit=True,
                           completed_by="staff", request=request_for(world.practitioner))


@pytest.fixture
def cohort(world):
    a, b, c, d = (make_episode(world.patient, world.practitioner) for _ in range(4))
    score(world, a, "baseline", 8)
    score(world, a, "review", 4)     # -50 %: responder
    score(world, b, "baseline", 6)
    score(world, b, "review", 5)     # -1 point, -17 %: not
    score(world, c, "baseline", 0)   # baseline 0: no percentage; 2 points needed: not
    score(world, c, "review", 0)
    score(world, d, "baseline", 7)   # no review score: left out
    score(world, a, "discharge", 2)  # -75 %
    score(world, b, "discharge", 4)  # -2 points, -33 %: responder at discharge
    world.episodes = (a, b, c, d)
    return world


def test_responder_rates_count_only_pairs_and_use_the_mcid_rule(cohort):
    rates = {(r.measure, r.time_point): r for r in
             responder_rates(clinic_episodes(clinic_ids=[cohort.clinic.pk]))}
    assert (rates["nrs", "review"].n, rates["nrs", "review"].responders) == (3, 1)
    assert (rates["nrs", "discharge"].n, rates["nrs", "discharge"].responders) == (2, 2)
    assert rates["nrs", "follow_up_3m"].n == 0 and rates["odi", "review"].n == 0


def test_a_practitioner_sees_only_episodes_they_treated(cohort):
    other = make_practitioner(cohort.clinic, make_user(cohort.clinic, "practitioner"))
    a = cohort.episodes[0]
    session = make_session(cohort.patient, other, cohort.location, episode=a)
    with signing.signing():  # arranging data signed earlier
        Session.objects.filter(pk=session.pk).update(status="signed", signed_at=timezone.now())
    rates = {(r.measure, r.time_point): r for r in
             responder_rates(clinic_episodes(clinic_ids=[cohort.clinic.pk], practitioner=other))}
    assert rates["nrs", "review"].n == 1


def test_the_wilson_interval_matches_a_worked_example():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3) and high == pytest.approx(0.9433, abs=1e-3)
    assert wilson_interval(0, 5)[0] == 0.0


def test_the_responder_query_count_does_not_grow(cohort, django_assert_max_num_queries):
    for _ in range(5):
        episode = make_episode(cohort.patient, cohort.practitioner)
        score(cohort, episode, "baseline", 9)
        score(cohort, episode, "review", 3)
    with django_assert_max_num_queries(2):
        responder_rates(clinic_episodes(clinic_ids=[cohort.clinic.pk]))


def test_the_dashboard_page_shows_rates_and_published_comparators(cohort, login):
    page = login(cohort.admin).get(reverse("insights_dashboard")).content.decode()
    assert "Responders" in page and "White 2001" in page and "natural course" in page
    assert login(cohort.front_desk).get(reverse("insights_dashboard")).status_code == 403


def test_breakdowns_split_the_cohort(cohort):
    from acuback.insights.selectors import breakdowns
    from acuback.treatment.models import TreatmentPlan

    a, b = cohort.episodes[:2]
    TreatmentPlan.objects.create(patient=cohort.patient, episode=a, style="tcm", rationale="r",
                                 planned_sessions=6, sessions_per_week=1,
                                 review_date=timezone.localdate(), prescription=[],
                                 created_by=cohort.practitioner)
    rows = {(d, label): rates for d, label, rates in
            breakdowns(clinic_episodes(clinic_ids=[cohort.clinic.pk]))}
    tcm = {r.measure: r for r in rows["Treatment style", "Traditional Chinese medicine"]}
    assert (tcm["nrs"].n, tcm["nrs"].responders) == (1, 1)
    assert ("Electroacupuncture", "Not used") in rows


def test_the_art_comparison_uses_8_plus_minus_2_weeks_in_chronic_patients(world):
    from datetime import timedelta

    import time_machine

    from acuback.insights.selectors import art_comparison

    start = timezone.now() - timedelta(weeks=20)
    chronic = make_episode(world.patient, world.practitioner,
                           onset_date=(start - timedelta(weeks=30)).date(),
                           opened_on=start.date())
    acute = make_episode(world.patient, world.practitioner,
                         onset_date=(start - timedelta(weeks=1)).date(), opened_on=start.date())
    low = make_episode(world.patient, world.practitioner,
                       onset_date=(start - timedelta(weeks=30)).date(), opened_on=start.date())
    with time_machine.travel(start, tick=False):
        score(world, chronic, "baseline", 7)
        score(world, acute, "baseline", 8)
        score(world, low, "baseline", 3)   # below the NRS 4 analogue of ART's VAS 40
    with time_machine.travel(start + timedelta(weeks=8), tick=False):
        score(world, chronic, "review", 4)
        score(world, acute, "review", 1)
    result = art_comparison(clinic_episodes(clinic_ids=[world.clinic.pk]))
    assert (result.eligible, result.measured, result.mean_change) == (1, 1, -30.0)


def test_the_evidence_panel_withholds_small_cohorts_and_explains(cohort, login):
    page = login(cohort.admin).get(reverse("insights_dashboard")).content.decode()
    assert "Beside the trials" in page and "a comparison needs at least 20" in page
    assert "GERAC" in page and "NICE NG59" in page and "WHO 2023" in page


def test_the_claims_ledger_measures_what_it_can_and_says_so_otherwise(cohort, login):
    from acuback.insights.ledger import figure

    fig = figure(clinic_episodes(clinic_ids=[cohort.clinic.pk]), "nrs")
    # a: 8 -> 2 (latest discharge), b: 6 -> 4, c: 0 -> 0; d has no later score
    assert fig.n == 3 and fig.mean_change == pytest.approx(-8 / 3, abs=0.05)
    assert fig.responders == 2  # 2-point MCID reached by a and b
    page = login(cohort.admin).get(reverse("insights_dashboard")).content.decode()
    assert "Claims ledger" in page and "Reduces inflammation" in page
    assert "no routine clinical measure" in page


def test_the_ledger_counts_adjuncts_and_sessions_by_a_licensed_practitioner(cohort):
    from acuback.insights.ledger import ledger, session_facts

    lapsed = make_practitioner(cohort.clinic, make_user(cohort.clinic, "practitioner"),
                               licence_in=cohort.location.jurisdiction, expires_in_days=-1)
    current = make_practitioner(cohort.clinic, make_user(cohort.clinic, "practitioner"),
                                licence_in=cohort.location.jurisdiction)
    elsewhere = make_practitioner(cohort.clinic, make_user(cohort.clinic, "practitioner"),
                                  licence_in="US-ZZ")
    a = cohort.episodes[0]
    for who, adjuncts in ((lapsed, []), (current, ["heat"]), (elsewhere, [])):
        session = make_session(cohort.patient, who, cohort.location, episode=a,
                               adjuncts=adjuncts)
        with signing.signing():  # arranging data signed earlier
            Session.objects.filter(pk=session.pk).update(status="signed", signed_at=timezone.now())
    make_session(cohort.patient, current, cohort.location, episode=a)  # draft: not counted
    episodes = clinic_episodes(clinic_ids=[cohort.clinic.pk])
    assert session_facts(episodes) == {"total": 3, "with_adjunct": 1, "licensed": 1}
    safe = next(c for c in ledger(episodes, ae_rates=[]) if c.claim.startswith("Safe"))
    assert "1 of 3 signed sessions" in safe.other


def rmdq(world, episode, time_point, total):
    outcomes.response_save(patient=world.patient, episode=episode, instrument_id="rmdq",
                           time_point=time_point, answers={i: int(i <= total)
                                                           for i in range(1, 25)},
                           submit=True, completed_by="staff",
                           request=request_for(world.practitioner))


def test_cherkin_responders_are_counted_by_intention_to_treat(world):
    from datetime import timedelta

    import time_machine

    from acuback.insights.selectors import cherkin_comparisons

    start = timezone.now() - timedelta(weeks=60)

    def chronic(weeks_before_now=None):
        opened = start if weeks_before_now is None else \
            timezone.now() - timedelta(weeks=weeks_before_now)
        return make_episode(world.patient, world.practitioner, opened_on=opened.date(),
                            onset_date=(opened - timedelta(weeks=20)).date()), opened

    (better, _), (little, _), (missing, _) = chronic(), chronic(), chronic()
    acute = make_episode(world.patient, world.practitioner, opened_on=start.date(),
                         onset_date=(start - timedelta(weeks=2)).date())
    recent, recent_start = chronic(weeks_before_now=5)  # window not closed yet: not due
    with time_machine.travel(start, tick=False):
        for episode, total in ((better, 12), (little, 12), (missing, 10), (acute, 15)):
            rmdq(world, episode, "baseline", total)
    with time_machine.travel(recent_start, tick=False):
        rmdq(world, recent, "baseline", 14)
    with time_machine.travel(start + timedelta(weeks=9), tick=False):
        rmdq(world, better, "review", 8)    # -4: meets the 3-point rule
        rmdq(world, little, "review", 10)   # -2: does not
        rmdq(world, acute, "review", 2)     # acute: outside the cohort
    with time_machine.travel(start + timedelta(weeks=49), tick=False):
        rmdq(world, better, "follow_up_6m", 9)   # 52 - 3 weeks: inside the ± 4 window
    week8, week52 = cherkin_comparisons(clinic_episodes(clinic_ids=[world.clinic.pk]))
    assert (week8.eligible, week8.measured, week8.responders) == (3, 2, 1)
    assert week8.itt_share == pytest.approx(100 / 3) and week8.completer_share == 50
    assert week8.mean_change == -3.0 and week8.lost == pytest.approx(100 / 3)
    assert (week52.eligible, week52.measured, week52.responders) == (3, 1, 1)


def test_the_pain_trajectory_is_drawn_beside_the_trial_arms_with_its_data(cohort, login):
    page = login(cohort.admin).get(reverse("insights_dashboard")).content.decode()
    assert 'id="trajectory"' in page and "<svg" in page
    assert "natural course (Costa 2012, change from 51)" in page
    assert "ART waiting list" in page and "8: -6.9" in page and "52: -28.0" in page
    # 0 chronic patients measured: the clinic line is not drawn
    assert "change observed in this clinic (NRS × 10)</td>" not in page
    assert "not drawn, fewer than 20" in page


def test_unused_cached_charts_are_pruned(settings, tmp_path):
    import os
    import time

    from acuback.web import charts

    settings.DATA_DIR = tmp_path
    series = [charts.Series("a", ((0, 0.0), (8, -3.0)))]
    charts.comparison_svg(title="t", series=series, x_label="x", y_label="y")
    charts.comparison_svg(title="u", series=series, x_label="x", y_label="y")
    directory = tmp_path / "charts"
    for path in directory.iterdir():
        os.utime(path, (time.time() - 40 * 86400,) * 2)
    kept = charts.comparison_svg(title="u", series=series, x_label="x", y_label="y")
    assert charts.prune(older_than_days=30) == 1  # "t" was not used for 40 days
    (survivor,) = directory.iterdir()
    assert survivor.read_text() == kept  # reading "u" refreshed its time


def test_with_20_measured_chronic_patients_the_clinic_figures_appear(world, login):
    from datetime import timedelta

    import time_machine

    start = timezone.now() - timedelta(weeks=12)
    episodes = [make_episode(world.patient, world.practitioner, opened_on=start.date(),
                             onset_date=(start - timedelta(weeks=20)).date())
                for _ in range(20)]
    with time_machine.travel(start, tick=False):
        for e in episodes:
            score(world, e, "baseline", 8)
    with time_machine.travel(start + timedelta(weeks=8), tick=False):
        for n, e in enumerate(episodes):
            score(world, e, "review", 4 if n % 2 else 6)  # mean change -3 → -30 on 0–100
    page = login(world.admin).get(reverse("insights_dashboard")).content.decode()
    assert "<strong>-30.0</strong> points" in page  # the ART-terms figure
    assert "change observed in this clinic (NRS × 10)</td><td>0: 0.0; 8: -30.0" in page


def test_the_dashboard_query_count_does_not_grow_with_the_data(cohort, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(cohort.admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("insights_dashboard")).status_code == 200
        return len(captured)

    before = queries()
    for _ in range(6):
        episode = make_episode(cohort.patient, cohort.practitioner)
        score(cohort, episode, "baseline", 9)
        score(cohort, episode, "review", 3)
        session = make_session(cohort.patient, cohort.practitioner_record, cohort.location,
                               episode=episode)
        with signing.signing():  # arranging data signed earlier
            Session.objects.filter(pk=session.pk).update(status="signed", signed_at=timezone.now())
    after = queries()
    assert after == before, (before, after)
    assert after <= 65  # about 20 of them are the breakdowns: 10 groups × 2 measures


def test_the_figures_are_reused_for_a_while_and_recomputed_on_request(cohort, login, settings):
    settings.ACUBACK_DASHBOARD_CACHE_SECONDS = 300
    client = login(cohort.admin)
    url = reverse("insights_dashboard")
    page = client.get(url).content.decode()
    assert "reused for up to 5 minutes" in page and "Recompute now" in page
    _, _, _, d = cohort.episodes
    score(cohort, d, "review", 3)   # d becomes a responder at review: 2 of 4
    assert "<td>Review</td><td>3</td><td>1</td>" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302
    assert "<td>Review</td><td>4</td><td>2</td>" in client.get(url).content.decode()


def test_the_active_count_is_kept_with_the_figures_and_the_lists_stay_live(cohort, login,
                                                                         settings):
    settings.ACUBACK_DASHBOARD_CACHE_SECONDS = 300
    client = login(cohort.admin)
    url = reverse("insights_dashboard")
    before = re.search(r"<strong>(\d+)</strong> active episode", client.get(url).content.decode())
    make_episode(cohort.other_patient, cohort.practitioner)
    page = client.get(url).content.decode()
    assert f"<strong>{before[1]}</strong> active episode" in page
    assert "The count and the outcome figures computed at" in page
    client.post(url)
    after = client.get(url).content.decode()
    assert f"<strong>{int(before[1]) + 1}</strong> active episode" in after


def test_a_practitioner_gets_their_own_figures_not_the_clinics_cached_ones(cohort, login,
                                                                          settings):
    settings.ACUBACK_DASHBOARD_CACHE_SECONDS = 300
    url = reverse("insights_dashboard")
    assert "<td>Review</td><td>3</td><td>1</td>" in login(cohort.admin).get(url).content.decode()
    other = make_practitioner(cohort.clinic, make_user(cohort.clinic, "practitioner"))
    page = login(other.user).get(url).content.decode()
    assert "<td>Review</td><td>0</td><td>0</td>" in page


def test_the_not_improving_list_names_treated_episodes_without_an_mcid_change(world, login):
    """Six or more sessions and no MCID change: listed, most sessions first; five sessions,
    an improving episode and a discharged one are not."""
    def treated(sessions, baseline, review, discharged=False):
        episode = make_episode(world.patient, world.practitioner)
        score(world, episode, "baseline", baseline)
        score(world, episode, "review", review)
        for _ in range(sessions):
            s = make_session(world.patient, world.practitioner_record, world.location,
                             episode=episode)
            with signing.signing():  # arranging data signed earlier
                Session.objects.filter(pk=s.pk).update(status="signed", signed_at=timezone.now())
        if discharged:
            episode.status = "discharged"
            episode.save()
        return episode

    stuck_seven, stuck_six = treated(7, 7, 6), treated(6, 7, 7)
    treated(5, 7, 7)                    # not at the review point yet
    treated(8, 8, 3)                    # improving
    treated(9, 7, 7, discharged=True)   # closed
    page = login(world.admin).get(reverse("insights_dashboard")).content.decode()
    section = page[page.index("Not improving at the review point"):]
    section = section[:section.index("</section>")]
    assert section.count("<li>") == 2 and "(7 sessions)" in section and "(6 sessions)" in section
    assert section.index("(7 sessions)") < section.index("(6 sessions)")
    assert f"/patients/{stuck_seven.patient_id}/outcomes/" in section and stuck_six


def test_expired_figures_are_recomputed_by_one_viewer_while_the_others_see_the_old(
        cohort, login, settings):
    from datetime import timedelta

    from django.core.cache import cache

    from acuback.insights.dashboard import _figures_key

    settings.ACUBACK_DASHBOARD_CACHE_SECONDS = 300
    client = login(cohort.admin)
    url = reverse("insights_dashboard")
    assert "<td>Review</td><td>3</td><td>1</td>" in client.get(url).content.decode()
    _, _, _, d = cohort.episodes
    score(cohort, d, "review", 3)  # 2 of 4 at review once recomputed
    key = _figures_key(cohort.clinic, None)
    figures = cache.get(key)
    figures["figures_computed_at"] -= timedelta(seconds=301)  # now due
    cache.set(key, figures, 900)
    cache.add(key + ":recomputing", True, 120)  # another viewer is recomputing them
    page = client.get(url).content.decode()
    assert "<td>Review</td><td>3</td><td>1</td>" in page  # the old figures meanwhile
    cache.delete(key + ":recomputing")  # that viewer failed, or its turn ran out
    assert "<td>Review</td><td>4</td><td>2</td>" in client.get(url).content.decode()
    assert cache.get(key + ":recomputing") is None  # the turn is given back
    recomputed = cache.get(key)["figures_computed_at"]
    client.get(url)  # fresh again: reused, not recomputed
    assert cache.get(key)["figures_computed_at"] == recomputed
