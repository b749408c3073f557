"""Every public "send me a link" form does the same work for a known and an unknown address
(issue #25, re-test): the request only records what was asked and queues it; the worker
looks the address up and sends. Before, the look-up and the e-mail ran in the request, so
the reply time told an address with an account from one without."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from acuback.audit.models import AuditEvent
from tests.queued_tasks import run_queued_tasks

WRITES = ("INSERT", "UPDATE", "DELETE")


def _work(client, url: str, email: str, address: str):
    """The answer, and the statements the request ran (from a client address of its own,
    so both requests meet fresh rate-limit counters)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {"email": email}, REMOTE_ADDR=address)
    statements = [q["sql"].lstrip().split(None, 1)[0].upper() for q in queries.captured_queries]
    return response, statements


def _known(world, form: str) -> str:
    user = world.patient_user if form == "portal_login" else world.front_desk
    user.email = "known@example.com"
    user.save(update_fields=["email"])
    return user.email


@pytest.mark.parametrize("form", ["portal_login", "password_reset"])
def test_a_known_and_an_unknown_address_cost_the_request_the_same(world, client, form):
    known_email = _known(world, form)
    url = reverse(form)
    unknown, unknown_work = _work(client, url, "nobody@example.com", "10.0.0.1")
    known, known_work = _work(client, url, known_email.upper(), "10.0.0.2")
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert len(known_work) == len(unknown_work)
    assert [s for s in known_work if s in WRITES] == [s for s in unknown_work if s in WRITES]
    assert sorted(known_work) == sorted(unknown_work)
    assert mail.outbox == []  # nothing is sent while the visitor waits


@pytest.mark.parametrize("form", ["portal_login", "password_reset"])
def test_the_worker_sends_once_and_only_to_the_known_address(world, client, form):
    known_email = _known(world, form)
    client.post(reverse(form), {"email": "nobody@example.com"})
    client.post(reverse(form), {"email": known_email})
    assert mail.outbox == []
    run_queued_tasks()
    [message] = mail.outbox
    assert message.to == [known_email]
    assert run_queued_tasks() == 0 and len(mail.outbox) == 1  # nothing left to send again


def test_the_worker_audits_the_reset_it_sends_with_the_address_asked_from(world, client):
    known_email = _known(world, "password_reset")
    client.post(reverse("password_reset"), {"email": known_email}, REMOTE_ADDR="10.9.8.7")
    assert not AuditEvent.objects.filter(action="auth.password.reset_request").exists()
    run_queued_tasks()
    event = AuditEvent.objects.get(action="auth.password.reset_request")
    assert event.actor is None and event.target == f"accounts.user:{world.front_desk.pk}"
    assert event.detail["asked_from"] == "10.9.8.7"
