"""Rotating the secret key on a running installation (issue #31, operator drill): done as
docs/deployment.md says, the audit chain kept verifying, no node flipped the key back, and
a command run under another key was stopped before it signed anything. Before: after a
rotation `audit verify` reported every old event "changed" under any key, a node still on
the old key failed /readyz and destroyed sessions, and `setup` under a wrong key wrote
events the chain check rejected for ever."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from acuback import cli
from acuback.audit import chain
from acuback.audit.models import AuditEvent
from acuback.audit.services import audit_record
from acuback.web import worker
from acuback.web.installation_key import (
    SecretKeyMismatch,
    agree_on_secret_key,
    fingerprint,
    key_agrees,
)
from acuback.web.models import InstallationKey

pytestmark = pytest.mark.django_db


def _node(settings, key, *fallbacks):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = key, list(fallbacks)


def test_the_three_step_rotation_never_rotates_back_and_keeps_every_node_ready(settings):
    _node(settings, "k1")
    assert agree_on_secret_key() == "recorded"
    _node(settings, "k1", "k2")  # step 1: every node reads the new key
    assert agree_on_secret_key() == "same" and key_agrees()[0]
    _node(settings, "k2", "k1")  # step 2: the first node signs with the new key
    assert agree_on_secret_key() == "rotated"
    _node(settings, "k1", "k2")  # a node not moved yet restarts: behind, not foreign
    assert agree_on_secret_key() == "behind"
    assert key_agrees()[0]
    assert InstallationKey.objects.get().fingerprint == fingerprint("k2")
    _node(settings, "k1")  # the old key alone after the rotation: refused
    with pytest.raises(SecretKeyMismatch):
        agree_on_secret_key()
    assert not key_agrees()[0]
    _node(settings, "k2")  # step 3
    assert agree_on_secret_key() == "same"


def test_readyz_keeps_a_node_of_the_rotation_in_the_load_balancer(settings):
    worker.heartbeat_touch("w1")
    probe = Client(raise_request_exception=False)
    _node(settings, "k1")
    agree_on_secret_key()
    _node(settings, "k2", "k1")
    agree_on_secret_key()
    _node(settings, "k1", "k2")
    assert probe.get("/readyz").status_code == 200
    _node(settings, "k3")
    assert probe.get("/readyz").status_code == 503


def _event(n: int):
    return audit_record(request=None, action="test.rotation", detail={"n": n})


def test_the_audit_chain_verifies_across_a_rotation_and_after_the_old_key_retires(settings):
    _node(settings, "k1")
    for n in range(3):
        _event(n)
    _node(settings, "k2", "k1")
    for n in range(3, 5):
        _event(n)
    _node(settings, "k1", "k2")  # a node behind writes one more under the old key
    _event(5)
    _node(settings, "k2", "k1")
    verdict = chain.verify(chain.in_order(AuditEvent.objects.all()))
    assert verdict.ok, [p.message for p in verdict.problems]
    assert sum(verdict.signed_with.values()) == 6
    _node(settings, "k2")  # step 3, the old key not kept anywhere: its events fail
    assert len(chain.verify(chain.in_order(AuditEvent.objects.all())).problems) == 4
    settings.ACUBACK_AUDIT_RETIRED_KEYS = ["k1"]  # kept to verify only
    assert chain.verify(chain.in_order(AuditEvent.objects.all())).ok
    call_command("audit", "verify")


def test_a_changed_event_is_still_found_whatever_keys_are_given(settings):
    _node(settings, "k2", "k1")
    settings.ACUBACK_AUDIT_RETIRED_KEYS = ["k0"]
    _event(1)
    event = _event(2)
    event.detail = {"n": 3}
    assert chain.signed_by_one_of(event, chain.verifying_keys()) is None


def test_a_command_under_another_key_stops_before_it_runs(settings, capsys):
    _node(settings, "k1")
    agree_on_secret_key()
    _node(settings, "wrong")
    before = AuditEvent.objects.count()
    with pytest.raises(SystemExit) as stopped:
        cli.main(["acuback", "seed-demo"])
    assert "differs from the one this installation uses" in str(stopped.value)
    with pytest.raises(SystemExit):
        cli.main(["acuback", "audit", "verify"])
    assert AuditEvent.objects.count() == before
    _node(settings, "k1")
    cli._refuse_another_key("audit")  # the right key: nothing stops the command


def test_the_first_command_records_the_key_so_the_services_refuse_another(settings):
    """Operator re-test: `setup` under a wrong key right after `migrate` (no server had
    run, so no key was recorded) signed events the services' key then rejected."""
    from acuback.web.management.commands import serve

    assert not InstallationKey.objects.exists()
    _node(settings, "setup-key")
    # What `acuback setup` does first (a whole command would close the test's
    # connection as it ends; tests/web/test_installation_key.py runs commands).
    cli._refuse_another_key("setup")
    assert InstallationKey.objects.get().fingerprint == fingerprint("setup-key")
    _node(settings, "services-key")
    with pytest.raises(SystemExit, match="differs"):
        cli._refuse_another_key("setup")
    with pytest.raises(CommandError, match="differs"):
        serve.Command().handle(bind="127.0.0.1:0", workers=1, threads=1)
