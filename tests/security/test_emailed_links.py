"""Links sent by e-mail start from ACUBACK_BASE_URL, never from the request's Host header:
a forged Host would otherwise send a login or password link to the forger's server."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.factories import request_for
from tests.queued_tasks import run_queued_tasks

EVIL = "evil.example"


@pytest.fixture
def forged_host(settings):
    # A Host the site answers to (a wildcard or a second name behind a proxy) is enough.
    settings.ALLOWED_HOSTS = ["testserver", EVIL]
    settings.ACUBACK_BASE_URL = "https://clinic.example.org"


def _only_link_host(message) -> None:
    assert EVIL not in message.body
    assert "https://clinic.example.org/" in message.body


def test_the_patients_login_link_ignores_the_host_header(world, client, forged_host):
    world.patient_user.email = "alice@example.com"
    world.patient_user.save()
    client.post("/portal/login/", {"email": "alice@example.com"}, HTTP_HOST=EVIL)
    run_queued_tasks()
    [message] = mail.outbox
    _only_link_host(message)


def test_a_staff_password_link_ignores_the_host_header(world, client, forged_host):
    world.front_desk.email = "desk@example.com"
    world.front_desk.save()
    client.post("/account/password/reset/", {"email": "desk@example.com"}, HTTP_HOST=EVIL)
    run_queued_tasks()
    [message] = mail.outbox
    _only_link_host(message)


def test_a_questionnaire_link_ignores_the_host_header(world, forged_host):
    from acuback.outcomes import services
    from tests.factories import make_episode

    episode = make_episode(world.patient, world.practitioner)
    request = request_for(world.practitioner)
    request.META["HTTP_HOST"] = EVIL
    link = services.link_create(episode=episode, instrument_ids=["nrs"], time_point="review",
                                request=request, delivery="in_person")
    url = services.link_url(request, link)
    assert url.startswith("https://clinic.example.org/") and EVIL not in url
