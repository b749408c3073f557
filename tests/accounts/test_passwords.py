"""Staff reset a forgotten password by e-mail and change their own; both are audited."""

from __future__ import annotations

import re

from django.contrib.auth import authenticate
from django.core import mail
from django.urls import reverse

from acuback.audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.queued_tasks import run_queued_tasks


def _ask(client, email: str):
    return client.post(reverse("password_reset"), {"email": email})


def test_the_reset_form_says_the_same_whoever_asks(world, client):
    world.front_desk.email = "desk@example.com"
    world.front_desk.save()
    known = _ask(client, "DESK@example.com")
    unknown = _ask(client, "nobody@example.com")
    run_queued_tasks()  # the worker looks the address up and sends
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    [message] = mail.outbox
    assert message.to == ["desk@example.com"] and "alpha_desk" in message.body
    event = AuditEvent.objects.get(action="auth.password.reset_request")
    assert event.actor is None and event.target == f"accounts.user:{world.front_desk.pk}"


def test_patients_and_deactivated_staff_get_no_staff_reset_link(world, client):
    world.patient_user.email = "alice@example.com"
    world.patient_user.save()
    world.front_desk.email = "desk@example.com"
    world.front_desk.is_active = False
    world.front_desk.save()
    _ask(client, "alice@example.com")
    _ask(client, "desk@example.com")
    run_queued_tasks()
    assert mail.outbox == []


def test_a_bad_address_is_refused_naming_the_field(client, db):
    response = _ask(client, "not an address")
    assert response.status_code == 400 and b'id="id_email_error"' in response.content


def test_the_link_sets_a_new_password_once_and_lifts_a_lockout(world, client):
    from axes.models import AccessAttempt

    world.front_desk.email = "desk@example.com"
    world.front_desk.save()
    AccessAttempt.objects.create(username="alpha_desk", ip_address="10.0.0.1", user_agent="x",
                                 failures_since_start=9)
    _ask(client, "desk@example.com")
    run_queued_tasks()
    link = re.search(r"https?://\S+/account/password/reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path, follow=True)
    response = client.post(page.redirect_chain[-1][0], {
        "new_password1": "a-brand-new-pass-1", "new_password2": "a-brand-new-pass-1"})
    assert response.status_code == 302
    assert authenticate(username="alpha_desk", password="a-brand-new-pass-1") is not None
    assert authenticate(username="alpha_desk", password=PASSWORD) is None
    assert not AccessAttempt.objects.filter(username="alpha_desk").exists()
    assert b"has been used or has expired" in client.get("/" + path, follow=True).content


def test_a_weak_new_password_is_refused_naming_the_field(world, login):
    response = login(world.front_desk).post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "short", "new_password2": "short"})
    assert response.status_code == 400 and b'id="id_new_password2_error"' in response.content
    assert authenticate(username="alpha_desk", password=PASSWORD) is not None


def test_a_wrong_old_password_is_refused(world, login):
    response = login(world.front_desk).post(reverse("password_change"), {
        "old_password": "wrong", "new_password1": "a-brand-new-pass-1",
        "new_password2": "a-brand-new-pass-1"})
    assert response.status_code == 400 and b'id="id_old_password_error"' in response.content
