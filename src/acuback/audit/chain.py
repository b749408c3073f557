"""The audit log's hash chain.

Each event stores ``hash = HMAC-SHA256(key, canonical JSON of its fields + prev_hash)``,
where ``prev_hash`` is the hash of the event before it (by id). Changing an event breaks
its own hash; removing or inserting one breaks the link of the next. The key is derived
from the deployment's secret key, so someone with the database but not the key cannot
rebuild a consistent chain after tampering. The newest hash (the "head") should also be
written down outside the database (``acuback audit verify`` prints it), so that cutting
off the newest events can be noticed too.

Events are signed with the current key. A key rotation (docs/deployment.md) leaves the
events signed before it, and those of nodes still signing with the old key while it
rolls out, under the old key: they verify with any key the installation has signed with
(the current one, the fallbacks and ACUBACK_AUDIT_RETIRED_KEYS).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings


def _chain_key(secret: str) -> bytes:
    return hashlib.sha256(b"acuback-audit-chain:" + str(secret).encode()).digest()


def _key() -> bytes:
    return _chain_key(settings.SECRET_KEY)


def verifying_keys() -> list[bytes]:
    """Every key the installation has signed events with, the current one first."""
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS,
               *settings.ACUBACK_AUDIT_RETIRED_KEYS]
    return list(dict.fromkeys(_chain_key(secret) for secret in secrets))


def _fingerprint_of(key: bytes) -> str:
    return hashlib.sha256(b"acuback-audit-key-fingerprint:" + key).hexdigest()[:16]


def key_fingerprint() -> str:
    """Names the key the chain is signed with, without revealing it: a backup records it
    so that a restore under another key says so instead of calling every event changed."""
    return _fingerprint_of(_key())


def verifying_fingerprints() -> list[str]:
    return [_fingerprint_of(key) for key in verifying_keys()]


def normalise_detail(detail: dict | None) -> dict:
    """The detail as the database will give it back (so the hash is reproducible)."""
    return json.loads(json.dumps(detail or {}, default=str))


def digest(*, prev_hash: str, at: datetime, actor_id: int | None, actor_label: str,
           clinic_id: int | None, patient_id: int | None, action: str, target: str,
           ip_address: str | None, detail: dict, break_glass: bool,
           key: bytes | None = None) -> str:
    payload = json.dumps({
        "prev": prev_hash, "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor_id, "actor_label": actor_label, "clinic": clinic_id,
        "patient": patient_id, "action": action, "target": target, "ip": ip_address,
        "detail": detail, "break_glass": break_glass,
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key or _key(), payload.encode(), hashlib.sha256).hexdigest()


def digest_of(event, key: bytes | None = None) -> str:
    return digest(prev_hash=event.prev_hash, at=event.at, actor_id=event.actor_id,
                  actor_label=event.actor_label, clinic_id=event.clinic_id,
                  patient_id=event.patient_id, action=event.action, target=event.target,
                  ip_address=event.ip_address, detail=event.detail,
                  break_glass=event.break_glass, key=key)


def signed_by_one_of(event, keys: list[bytes]) -> int | None:
    """The index in `keys` of the key the event's hash verifies with; None: none does."""
    for index, key in enumerate(keys):
        if hmac.compare_digest(digest_of(event, key), event.hash):
            return index
    return None


@dataclass(frozen=True)
class Problem:
    event_id: int
    kind: str  # "changed" or "broken link"
    message: str


@dataclass(frozen=True)
class Verdict:
    checked: int
    head: str
    problems: list[Problem]
    # How many events each verifying key signed (index as in verifying_keys()).
    signed_with: dict[int, int] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(events: Iterable) -> Verdict:
    """Walk the events in id order; report each changed row and each broken link."""
    problems: list[Problem] = []
    previous_hash, previous_id, checked = "", None, 0
    keys = verifying_keys()
    signed_with: dict[int, int] = {}
    for event in events:
        checked += 1
        index = signed_by_one_of(event, keys)
        if index is not None:
            signed_with[index] = signed_with.get(index, 0) + 1
        else:
            when = event.at.strftime("%Y-%m-%d %H:%M")
            problems.append(Problem(event.pk, "changed",
                                    f"event {event.pk} ({event.action}, {when}) does not "
                                    "match its hash: it was changed"))
        if event.prev_hash != previous_hash:
            where = f"after event {previous_id}" if previous_id else "at the start"
            problems.append(Problem(event.pk, "broken link",
                                    f"event {event.pk} does not follow the event before it "
                                    f"({where}): an event was removed or inserted there"))
        previous_hash, previous_id = event.hash, event.pk
    return Verdict(checked, previous_hash, problems, signed_with)


def in_order(queryset) -> Iterator:
    return queryset.order_by("pk").iterator(chunk_size=2000)
