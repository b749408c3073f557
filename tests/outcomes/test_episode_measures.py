"""The stored per-episode measures stay equal to a search of the responses.

The oracle is the dashboard's earlier implementation (correlated subqueries over every
response, per episode), kept here as the specification the stored rows must match after
any sequence of submissions and corrections."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, FloatField, OuterRef, Subquery
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuback.clinical.episode_measures import WEEKS
from acuback.clinical.evidence import window_weeks
from acuback.outcomes import measures
from acuback.outcomes import services as outcomes
from acuback.outcomes.models import EpisodeMeasure, QuestionnaireResponse
from acuback.patients.models import EpisodeOfCare
from tests.factories import make_episode, request_for

TIME_POINTS = ("baseline", "review", "discharge", "follow_up_3m", "follow_up_6m")


def _current(instrument):
    return QuestionnaireResponse.objects.current().filter(
        episode=OuterRef("pk"), instrument=instrument, total__isnull=False)


def _first_or_last(qs, first: bool, column="total", field=None):
    # Ties on submitted_at: recording order (the old queries left them to the database).
    order = ("submitted_at", "pk") if first else ("-submitted_at", "-pk")
    return Subquery(qs.order_by(*order).values(column)[:1], output_field=field or FloatField())


def oracle(instrument: str) -> dict[int, dict]:
    """The figures of every episode by search, as the dashboard used to compute them."""
    base = _current(instrument).filter(time_point="baseline")
    rows = EpisodeOfCare.objects.annotate(
        baseline=_first_or_last(base, True),
        baseline_at=_first_or_last(base, True, "submitted_at", DateTimeField()),
        latest=_first_or_last(_current(instrument).exclude(time_point="baseline"), False),
        **{tp: _first_or_last(_current(instrument).filter(time_point=tp), False)
           for tp in TIME_POINTS[1:]})
    for weeks in WEEKS:
        centre, half = timedelta(weeks=weeks), timedelta(weeks=window_weeks(weeks))

        def shifted(delta):
            return ExpressionWrapper(OuterRef("baseline_at") + delta,
                                     output_field=DateTimeField())
        rows = rows.annotate(**{f"week_{weeks}": _first_or_last(_current(instrument).filter(
            submitted_at__gte=shifted(centre - half), submitted_at__lte=shifted(centre + half)),
            False)})
    fields = measures.FIELDS
    return {r["pk"]: {f: r[f] for f in fields} for r in rows.values("pk", *fields)
            if any(r[f] is not None for f in fields)}


def stored(instrument: str) -> dict[int, dict]:
    return {m["episode_id"]: {f: m[f] for f in measures.FIELDS} for m in
            EpisodeMeasure.objects.filter(instrument=instrument).values("episode_id",
                                                                        *measures.FIELDS)}


def answers(instrument: str, value: int) -> dict:
    return {1: value} if instrument == "nrs" else dict.fromkeys(range(1, 11), value // 2)


steps = st.lists(st.tuples(
    st.integers(0, 2),                           # which episode
    st.sampled_from(["nrs", "odi"]),
    st.sampled_from(TIME_POINTS),
    st.integers(0, 10),                          # the answer
    st.integers(0, 60 * 24 * 7 * 56),            # minutes after the start (to 56 weeks)
    st.booleans(),                               # a correction of the last such response
), min_size=1, max_size=10)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps)
def test_stored_measures_match_a_search_of_the_responses(world, history):
    start = timezone.now() - timedelta(weeks=60)
    request = request_for(world.practitioner)
    with transaction.atomic():
        episodes = [make_episode(world.patient, world.practitioner) for _ in range(3)]
        last = {}
        for index, instrument, time_point, value, minutes, correct in history:
            key = (index, instrument, time_point)
            with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
                last[key] = outcomes.response_save(
                    patient=world.patient, episode=episodes[index], instrument_id=instrument,
                    time_point=time_point, answers=answers(instrument, value), submit=True,
                    completed_by="staff", request=request,
                    supersedes=last.get(key) if correct else None,
                    correction_reason="typo" if correct and key in last else "")
        for instrument in ("nrs", "odi"):
            assert stored(instrument) == oracle(instrument)
        transaction.set_rollback(True)


def test_a_correction_replaces_the_corrected_score(world):
    episode = make_episode(world.patient, world.practitioner)
    request = request_for(world.practitioner)
    first = outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                                   time_point="baseline", answers={1: 8}, submit=True,
                                   completed_by="staff", request=request)
    assert EpisodeMeasure.objects.get(episode=episode, instrument="nrs").baseline == 8
    outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                           time_point="baseline", answers={1: 6}, submit=True,
                           completed_by="staff", request=request, supersedes=first,
                           correction_reason="patient meant 6")
    measure = EpisodeMeasure.objects.get(episode=episode, instrument="nrs")
    assert (measure.baseline, measure.rule_version) == (6, "episode-measures-2026.1")


def test_a_draft_changes_nothing(world):
    episode = make_episode(world.patient, world.practitioner)
    outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                           time_point="baseline", answers={1: 8}, submit=False,
                           completed_by="staff", request=request_for(world.practitioner))
    assert not EpisodeMeasure.objects.filter(episode=episode).exists()


def test_check_finds_a_changed_row_and_rebuild_repairs_it(world, capsys):
    episode = make_episode(world.patient, world.practitioner)
    outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                           time_point="baseline", answers={1: 8}, submit=True,
                           completed_by="staff", request=request_for(world.practitioner))
    call_command("measures", "check")
    EpisodeMeasure.objects.filter(episode=episode, instrument="nrs").update(baseline=2)
    with pytest.raises(CommandError, match="1 measures differ"):
        call_command("measures", "check")
    call_command("measures", "rebuild")
    call_command("measures", "check")
    assert EpisodeMeasure.objects.get(episode=episode, instrument="nrs").baseline == 8
    assert "match the responses" in capsys.readouterr().out
