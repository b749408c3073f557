"""Every node of one installation (web servers, workers) must use the same secret key.

Sessions, password-reset and magic links, the audit chain and research pseudonyms are
keyed from it: a node started with another key logs everyone out whose request reaches
it, refuses the links the other nodes sent, and writes audit events the chain check then
rejects. The first node to start records a fingerprint of its key in the database (an
HMAC, from which the key cannot be recovered); a node with another key refuses to start
and answers 503 on /readyz, so a load balancer sends it nothing.

Rotation, in three steps so that no node ever meets a session or link it cannot read
(docs/deployment.md): (1) every node gets the new key as a fallback, still signing with
the old; (2) every node signs with the new key, the old one a fallback: the first node
started so records the new key, and the nodes not yet moved (old key, new fallback) are
"behind", not foreign; (3) the old key leaves the fallbacks once sessions and links have
expired, and goes to ACUBACK_AUDIT_RETIRED_KEYS, which only verifies the audit chain.
"""

from __future__ import annotations

import hmac
import socket
from hashlib import sha256

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction
from django.utils import timezone

from .models import InstallationKey

_PURPOSE = b"acuback: the installation's secret key"


class SecretKeyMismatch(Exception):
    pass


def fingerprint(key: str) -> str:
    return hmac.new(str(key).encode(), _PURPOSE, sha256).hexdigest()


def _mismatch(recorded: InstallationKey) -> SecretKeyMismatch:
    return SecretKeyMismatch(
        f"this node's secret key differs from the one this installation uses (recorded by "
        f"{recorded.recorded_by} at {recorded.recorded_at:%Y-%m-%d %H:%M} UTC). Give every "
        "web server and worker the same ACUBACK_SECRET_KEY (or the same data folder's "
        "secret_key file); to rotate the key, put the old one in "
        "ACUBACK_SECRET_KEY_FALLBACKS on every node (docs/deployment.md).")


def agree_on_secret_key() -> str:
    """Record this node's key if none is recorded; accept a rotation from a fallback key
    and a node behind one; raise SecretKeyMismatch otherwise. Returns what happened, for
    the start-up line."""
    mine = fingerprint(settings.SECRET_KEY)
    fallbacks = {fingerprint(key) for key in settings.SECRET_KEY_FALLBACKS}
    with transaction.atomic():
        recorded, created = InstallationKey.objects.select_for_update().get_or_create(
            pk=1, defaults={"fingerprint": mine, "recorded_at": timezone.now(),
                            "recorded_by": socket.gethostname()})
        if created:
            return "recorded"
        if hmac.compare_digest(recorded.fingerprint, mine):
            return "same"
        if recorded.fingerprint in fallbacks:
            if hmac.compare_digest(recorded.previous_fingerprint, mine):
                return "behind"  # step (2) not reached on this node yet: never rotate back
            recorded.previous_fingerprint = recorded.fingerprint
            recorded.fingerprint = mine
            recorded.recorded_at = timezone.now()
            recorded.recorded_by = socket.gethostname()
            recorded.save()
            return "rotated"
        raise _mismatch(recorded)


def key_agrees() -> tuple[bool, str]:
    """For /readyz: does this node's key match the recorded one, or is it a node of the
    rotation in progress (reads, never writes)?"""
    recorded = InstallationKey.objects.filter(pk=1).first()
    if recorded is None:
        return True, "not recorded yet (the first node to start records it)"
    if hmac.compare_digest(recorded.fingerprint, fingerprint(settings.SECRET_KEY)):
        return True, "same as the installation's"
    if recorded.fingerprint in {fingerprint(key) for key in settings.SECRET_KEY_FALLBACKS}:
        return True, "rotating: this node reads the installation's key as a fallback"
    return False, str(_mismatch(recorded))


def refuse_a_different_secret_key(say) -> None:
    """`acuback serve` and `acuback worker`: stop on another node's key. A database that
    is down or not migrated yet does not stop the start (the web tier waits for it);
    /readyz checks the key again once it answers."""
    try:
        outcome = agree_on_secret_key()
    except SecretKeyMismatch as mismatch:
        raise CommandError(str(mismatch)) from None
    except DatabaseError as exc:
        say(f"Secret key not compared with the other nodes' yet ({type(exc).__name__}); "
            "/readyz compares it once the database answers.")
        return
    if outcome == "rotated":
        say("Secret key rotated: the installation now uses this node's key.")
    elif outcome == "behind":
        say("Secret key rotation in progress: this node still signs with the old key and "
            "reads the new one; give it the new key as ACUBACK_SECRET_KEY next.")
