"""Charts are drawn by the worker after a change, so the next page finds them ready."""

from __future__ import annotations

import pytest
from django.urls import reverse

from acuback.outcomes import services as outcomes
from acuback.web import charts
from tests.factories import make_episode, request_for


@pytest.fixture
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DATA_DIR = tmp_path


def submit(world, episode, time_point, value):
    outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                           time_point=time_point, answers={1: value}, submit=True,
                           completed_by="staff", request=request_for(world.practitioner))


def test_a_submission_draws_the_chart_the_page_then_shows(world, login, immediate_tasks,
                                                          django_capture_on_commit_callbacks,
                                                          monkeypatch):
    episode = make_episode(world.patient, world.practitioner)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        submit(world, episode, "baseline", 7)
        submit(world, episode, "review", 4)
    assert len(queued) == 2
    drawn = list(charts._cache_dir().glob("*"))
    assert drawn, "the worker drew the chart"

    def no_drawing(*args, **kwargs):
        raise AssertionError("the page drew a chart the worker should have drawn")

    monkeypatch.setattr(charts, "_draw", no_drawing)
    page = login(world.practitioner).get(reverse("patient_outcomes", args=[world.patient.pk]))
    assert page.status_code == 200 and "<svg" in page.content.decode()


def test_nothing_is_queued_when_the_submission_is_refused(world, immediate_tasks,
                                                         django_capture_on_commit_callbacks):
    episode = make_episode(world.patient, world.practitioner)
    with django_capture_on_commit_callbacks() as queued, pytest.raises(ValueError):
        outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                               time_point="baseline", answers={1: 11}, submit=True,
                               completed_by="staff", request=request_for(world.practitioner))
    assert queued == []


def test_the_database_queue_takes_the_task_in_the_submissions_transaction(
        world, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    episode = make_episode(world.patient, world.practitioner)
    with django_capture_on_commit_callbacks() as after_commit:
        submit(world, episode, "baseline", 7)
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path.endswith("charts_draw")
    assert queued.args_kwargs["args"] == [episode.pk]
    assert after_commit == []  # no second write after the commit


def test_the_database_queue_keeps_nothing_of_a_change_that_rolls_back(world):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from acuback.outcomes.tasks import charts_draw_later

    episode = make_episode(world.patient, world.practitioner)
    with pytest.raises(RuntimeError), transaction.atomic():
        charts_draw_later(episode.pk)
        assert DBTaskResult.objects.exists()
        raise RuntimeError("the change failed after queueing")
    assert not DBTaskResult.objects.exists()
