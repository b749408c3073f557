"""Two nodes of one installation with different secret keys (issue #31 §5): the second
refuses to start and is not ready, so no request reaches a node whose sessions, links and
audit events the others would reject."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from acuback.web import worker
from acuback.web.installation_key import SecretKeyMismatch, agree_on_secret_key, fingerprint
from acuback.web.models import InstallationKey

pytestmark = pytest.mark.django_db


def test_the_first_node_records_its_key_and_the_same_key_agrees(settings):
    settings.SECRET_KEY = "node-one-key"
    assert agree_on_secret_key() == "recorded"
    assert agree_on_secret_key() == "same"
    recorded = InstallationKey.objects.get()
    assert recorded.fingerprint == fingerprint("node-one-key")
    assert "node-one-key" not in recorded.fingerprint


def test_a_node_with_another_key_refuses_to_start_the_server_and_the_worker(settings):
    settings.SECRET_KEY = "node-one-key"
    agree_on_secret_key()
    settings.SECRET_KEY = "node-two-key"
    with pytest.raises(SecretKeyMismatch, match="ACUBACK_SECRET_KEY"):
        agree_on_secret_key()
    with pytest.raises(CommandError, match="differs from the one this installation uses"):
        call_command("worker", once=True)
    from acuback.web.management.commands import serve

    with pytest.raises(CommandError, match="differs"):
        serve.Command().handle(bind="127.0.0.1:0", workers=1, threads=1)
    assert InstallationKey.objects.get().fingerprint == fingerprint("node-one-key")


def test_readyz_takes_a_node_with_another_key_out_of_the_load_balancer(settings):
    probe = Client(raise_request_exception=False)
    worker.heartbeat_touch("w1")
    settings.SECRET_KEY = "node-one-key"
    agree_on_secret_key()
    assert probe.get("/readyz").status_code == 200
    settings.SECRET_KEY = "node-two-key"
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["secret_key"]["ok"] is False


def test_a_rotation_with_the_old_key_as_fallback_moves_the_installation_to_the_new_key(
        settings):
    settings.SECRET_KEY = "old-key"
    agree_on_secret_key()
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-key", ["old-key"]
    assert agree_on_secret_key() == "rotated"
    # A node still on the old key alone is now the odd one out.
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "old-key", []
    with pytest.raises(SecretKeyMismatch):
        agree_on_secret_key()
