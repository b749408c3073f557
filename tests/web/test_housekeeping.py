"""The worker prunes what grows without limit: task results, expired sessions, login
logs, and bulk-export files (which hold patient data) after ACUBACK_*_KEEP_DAYS."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from acuback.web import housekeeping


def test_finished_task_results_are_pruned_after_the_kept_days(db, settings):
    from django_tasks_db.models import DBTaskResult

    from acuback.scheduling.tasks import reminders_tick

    settings.ACUBACK_TASK_RESULT_KEEP_DAYS = 7
    now = timezone.now()
    old_done, recent_done, old_queued, old_failed = (
        DBTaskResult.objects.get(pk=reminders_tick.enqueue().id) for _ in range(4))
    DBTaskResult.objects.filter(pk__in=[old_done.pk, old_failed.pk]).update(
        finished_at=now - timedelta(days=8), enqueued_at=now - timedelta(days=8))
    DBTaskResult.objects.filter(pk=old_done.pk).update(status="SUCCESSFUL")
    DBTaskResult.objects.filter(pk=old_failed.pk).update(status="FAILED")
    DBTaskResult.objects.filter(pk=recent_done.pk).update(
        status="SUCCESSFUL", finished_at=now - timedelta(days=6))
    DBTaskResult.objects.filter(pk=old_queued.pk).update(enqueued_at=now - timedelta(days=30))
    assert housekeeping.prune(now)["task_results"] == 2
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {recent_done.pk,
                                                                      old_queued.pk}


def test_expired_sessions_are_pruned(world, client):
    from django.contrib.sessions.models import Session

    client.force_login(world.admin)
    live = Session.objects.get()
    Session.objects.create(session_key="x" * 32, session_data="",
                           expire_date=timezone.now() - timedelta(seconds=1))
    assert housekeeping.prune(timezone.now())["sessions"] == 1
    assert list(Session.objects.all()) == [live]


def test_login_logs_are_pruned_after_the_kept_days(db, settings):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    settings.ACUBACK_LOGIN_LOG_KEEP_DAYS = 90
    now = timezone.now()
    for model in (AccessLog, AccessFailureLog):
        for days in (91, 10):
            row = model.objects.create(username="a", ip_address="10.0.0.1", user_agent="x")
            # attempt_time is set on creation, so it is moved back afterwards
            model.objects.filter(pk=row.pk).update(attempt_time=now - timedelta(days=days))
    attempt = AccessAttempt.objects.create(username="a", ip_address="10.0.0.1",
                                           user_agent="x", failures_since_start=2,
                                           get_data="", post_data="")
    AccessAttempt.objects.filter(pk=attempt.pk).update(  # its cool-off is over
        attempt_time=now - settings.AXES_COOLOFF_TIME - timedelta(minutes=1))
    result = housekeeping.prune(now)
    assert result["login_logs"] == 2 and result["login_attempts"] == 1
    assert AccessLog.objects.count() == AccessFailureLog.objects.count() == 1
    assert not AccessAttempt.objects.exists()


def test_the_worker_clock_queues_housekeeping_once_a_day(db, settings):
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    cache.clear()
    assert housekeeping.queue_when_due() is True
    assert housekeeping.queue_when_due() is False  # once per ACUBACK_HOUSEKEEPING_SECONDS
    assert DBTaskResult.objects.filter(task_path__endswith="housekeeping_run").count() == 1


def test_heartbeats_of_workers_long_stopped_are_pruned(db, settings):
    from acuback.web.models import WorkerHeartbeat

    settings.ACUBACK_TASK_RESULT_KEEP_DAYS = 7
    now = timezone.now()
    for name, days in (("restarted-last-month", 30), ("running", 0)):
        WorkerHeartbeat.objects.create(worker_id=name, host="h", pid=1, started_at=now,
                                       beat_at=now - timedelta(days=days))
    assert housekeeping.prune(now)["worker_heartbeats"] == 1
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["running"]


def test_smart_apps_expired_tokens_and_spent_assertion_ids_are_pruned(world):
    from oauth2_provider.models import AccessToken

    from acuback.interop import smart
    from acuback.interop.models import ClientAssertionUse, SmartTokenContext
    from tests.factories import request_for

    app, _ = smart.app_register(clinic=world.clinic, name="Feed", kind="public",
                                redirect_uris="https://app.example.org/cb",
                                request=request_for(world.admin))
    now = timezone.now()
    for n, expires in enumerate((now - timedelta(hours=2), now + timedelta(hours=1))):
        token = AccessToken.objects.create(application=app.application, user=world.admin,
                                           token=f"t{n}", expires=expires, scope="user/*.rs")
        SmartTokenContext.objects.create(access_token=token, app=app)
        ClientAssertionUse.objects.create(app=app, jti=f"j{n}", expires_at=expires)
    pruned = housekeeping.prune(now)
    assert pruned["oauth_assertions"] == 1
    assert list(AccessToken.objects.values_list("token", flat=True)) == ["t1"]
    assert list(ClientAssertionUse.objects.values_list("jti", flat=True)) == ["j1"]
    assert SmartTokenContext.objects.count() == 1
