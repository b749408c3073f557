"""The audit log is hash-chained: `acuback audit verify` finds a changed, removed or
inserted event."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from acuback.audit import chain
from acuback.audit.models import AuditEvent
from acuback.audit.services import audit_append, audit_event, audit_record
from tests.factories import request_for


@pytest.fixture
def events(world):
    request = request_for(world.practitioner)
    made = [audit_record(request=request, action=f"test.{n}", patient=world.patient,
                         detail={"n": n, "when": world.patient.date_of_birth})
            for n in range(5)]
    return made


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out, stderr=out)
    return out.getvalue()


def sql(statement, params):
    """Tampering by someone with full database access, who drops the triggers that
    refuse UPDATE and DELETE first (rolled back with the test)."""
    from acuback import row_guards

    with row_guards.lifted(connection, ("audit_auditevent",)), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_untouched_log_verifies_and_each_event_links_to_the_one_before(events):
    assert "intact: 5 events" in verify()
    ordered = list(AuditEvent.objects.order_by("pk"))
    assert ordered[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in zip(ordered, ordered[1:], strict=False))


def test_a_changed_event_is_found(events):
    sql("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["nothing.here", events[2].pk])
    with pytest.raises(CommandError, match="NOT intact"):
        verify()
    verdict = chain.verify(chain.in_order(AuditEvent.objects.all()))
    assert [(p.event_id, p.kind) for p in verdict.problems] == [(events[2].pk, "changed")]


def test_a_removed_event_is_found(events):
    sql("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    verdict = chain.verify(chain.in_order(AuditEvent.objects.all()))
    assert [(p.event_id, p.kind) for p in verdict.problems] == [(events[2].pk, "broken link")]


def test_an_inserted_event_is_found_even_with_a_well_formed_hash(events, world):
    forged = AuditEvent(at=events[1].at, actor=world.admin, actor_label="alpha_admin",
                        action="forged", prev_hash=events[1].hash, detail={})
    forged.hash = chain.digest_of(forged)  # even knowing the key, the next link breaks
    forged.save()
    verdict = chain.verify(chain.in_order(AuditEvent.objects.all()))
    assert any(p.kind == "broken link" for p in verdict.problems)


def test_cutting_off_the_newest_events_is_found_with_the_recorded_head(events):
    head = AuditEvent.objects.order_by("-pk").first().hash
    sql("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    assert "intact: 4 events" in verify()  # the chain alone cannot see a cut end
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--expect-head", head, stdout=StringIO(),
                     stderr=StringIO())


def test_the_application_refuses_to_change_or_delete_events(events):
    from acuback.audit.models import AppendOnlyError

    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=events[0].pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        events[0].delete()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain():
    import threading

    if connection.vendor != "postgresql":
        pytest.skip("Concurrency is tested on PostgreSQL (SQLite serialises writers).")
    barrier = threading.Barrier(4)

    def write():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            for n in range(10):
                audit_record(request=None, action=f"concurrent.{n}")
        finally:
            thread_connection.close()

    def write_pairs():  # a write that makes two events (save and sign) appends both at once
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            for n in range(5):
                audit_append(audit_event(request=None, action=f"pair.{n}.first"),
                             audit_event(request=None, action=f"pair.{n}.second"))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=write) for _ in range(3)] + [
        threading.Thread(target=write_pairs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    verdict = chain.verify(chain.in_order(AuditEvent.objects.all()))
    assert verdict.checked == 40 and verdict.ok, verdict.problems
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    for n in range(5):  # each pair stays together, in order, with nothing between
        first = actions.index(f"pair.{n}.first")
        assert actions[first + 1] == f"pair.{n}.second"


def test_events_appended_together_chain_in_order_after_the_newest(events, world):
    request = request_for(world.practitioner)
    first, second = audit_append(
        audit_event(request=request, action="session.save", patient=world.patient),
        audit_event(request=request, action="session.sign", patient=world.patient))
    assert first.prev_hash == events[-1].hash and second.prev_hash == first.hash
    assert first.pk < second.pk
    assert "intact: 7 events" in verify()


def test_a_failed_write_leaves_none_of_its_events(world):
    from django.db import transaction

    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_append(audit_event(request=None, action="a"), audit_event(request=None, action="b"))
        raise RuntimeError("the write the events belong to fails")
    assert AuditEvent.objects.count() == before


def test_the_operators_viewer_filters_by_patient_and_exports_csv(events, world, login,
                                                                operator):
    import csv as csv_module

    other = audit_record(request=request_for(world.practitioner), action="other.patient",
                         patient=world.other_patient)
    client = login(operator)
    page = client.get(f"/admin/audit/auditevent/?patient__id__exact={world.patient.pk}")
    assert page.status_code == 200 and "Export CSV" in page.content.decode()
    assert {e.action for e in page.context["cl"].result_list} == {f"test.{n}" for n in range(5)}
    response = client.get(f"/admin/audit/auditevent/export.csv?patient__id__exact="
                          f"{world.patient.pk}")
    rows = list(csv_module.reader(response.content.decode().splitlines()))
    assert rows[0][:4] == ["id", "at", "actor_label", "action"]
    assert {r[3] for r in rows[1:]} == {f"test.{n}" for n in range(5)}
    assert str(other.pk) not in {r[0] for r in rows[1:]}
    assert AuditEvent.objects.filter(action="audit.export").exists()
    # a clinic admin has no way in (the clinic's own audit log is in the application)
    response = login(world.admin).get("/admin/audit/auditevent/export.csv")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
