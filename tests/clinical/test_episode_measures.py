"""The per-episode reduction the dashboard aggregates: worked examples and properties."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.episode_measures import WEEKS, Score, Summary, summarise
from acuback.clinical.evidence import window_weeks

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def week(n: float) -> datetime:
    return T0 + timedelta(weeks=n)


def test_a_worked_episode():
    summary = summarise([
        Score("baseline", 8, week(0)),
        Score("baseline", 9, week(0.5)),      # a second baseline: the first one counts
        Score("review", 6, week(4)),
        Score("review", 5, week(7)),          # the latest review counts; inside 8 ± 2
        Score("discharge", 3, week(10)),      # 8 + 2: the window's end is included
        Score("follow_up_3m", 4, week(22)),   # 26 - 4: included
        Score("baseline", 7, week(30)),       # a later baseline is not the baseline...
    ])
    assert summary == Summary(baseline=8, baseline_at=week(0), review=5, discharge=3,
                              follow_up_3m=4, follow_up_6m=None,
                              latest=4,       # ...and not a "later score" either
                              week_8=3, week_26=7, week_52=None)


def test_without_a_baseline_there_are_no_week_figures():
    summary = summarise([Score("review", 4, week(8)), Score("discharge", 3, week(26))])
    assert (summary.baseline, summary.week_8, summary.week_26) == (None, None, None)
    assert (summary.review, summary.discharge, summary.latest) == (4, 3, 3)


def test_just_outside_the_window_does_not_count():
    summary = summarise([Score("baseline", 8, week(0)),
                         Score("review", 6, week(10) + timedelta(seconds=1)),
                         Score("follow_up_6m", 5, week(48) - timedelta(seconds=1))])
    assert (summary.week_8, summary.week_52) == (None, None)


def test_scores_given_at_the_same_moment_keep_their_recorded_order():
    summary = summarise([Score("review", 6, week(8)), Score("review", 4, week(8))])
    assert summary.review == 4


scores = st.lists(st.builds(
    Score, st.sampled_from(["baseline", "review", "discharge", "follow_up_3m", "follow_up_6m"]),
    st.integers(0, 10).map(float), st.integers(0, 60 * 24 * 7 * 60).map(
        lambda minutes: T0 + timedelta(minutes=minutes))), max_size=12)


@given(scores, st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_rows_arrive_in(history, rnd: random.Random):
    # Distinct moments only: same-moment ties are ordered by recording, on purpose.
    distinct = list({s.at: s for s in history}.values())
    shuffled = distinct[:]
    rnd.shuffle(shuffled)
    assert summarise(shuffled) == summarise(distinct)


@given(scores)
def test_each_figure_is_one_of_the_scores_by_its_definition(history):
    summary = summarise(history)
    baselines = [s for s in history if s.time_point == "baseline"]
    if not baselines:
        assert summary.baseline is None and all(
            getattr(summary, f"week_{w}") is None for w in WEEKS)
        return
    first = min(baselines, key=lambda s: s.at)
    assert summary.baseline_at == first.at
    for w in WEEKS:
        centre, half = first.at + timedelta(weeks=w), timedelta(weeks=window_weeks(w))
        inside = [s for s in history if centre - half <= s.at <= centre + half]
        value = getattr(summary, f"week_{w}")
        if inside:
            assert value in [s.total for s in inside if s.at == max(x.at for x in inside)]
        else:
            assert value is None
