"""Credential currency and clearance to needle.

Source: docs/reference/safety.md §9 (project rule: a practitioner needles
only while holding a licence valid for the jurisdiction on that date; Medicare
requires a current, full, active and unrestricted licence [NCD-memo]).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

RULE_VERSION = "credentials-2026.1"
WARNING_DAYS = 60


class Currency(StrEnum):
    CURRENT = "current"
    EXPIRING = "expiring"  # current, but expires within the warning window
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    INACTIVE = "inactive"  # status is not active (suspended, revoked, lapsed, pending)


@dataclass(frozen=True)
class CredentialFacts:
    kind: str  # licence, certification, degree, membership, permit
    status: str  # active, pending, suspended, revoked, lapsed
    jurisdiction: str
    issued_on: date | None
    expires_on: date | None


# The credential columns the rules read, in the order of CredentialFacts' fields: a row
# read with these (values_list) becomes CredentialFacts(*row).
FACT_FIELDS = tuple(CredentialFacts.__dataclass_fields__)


def currency(cred: CredentialFacts, on: date, warning_days: int = WARNING_DAYS) -> Currency:
    """Where a credential stands on a date. An expiry date is the last valid day."""
    if cred.status != "active":
        return Currency.INACTIVE
    if cred.issued_on is not None and cred.issued_on > on:
        return Currency.NOT_YET_VALID
    if cred.expires_on is not None:
        if cred.expires_on < on:
            return Currency.EXPIRED
        if cred.expires_on <= on + timedelta(days=warning_days):
            return Currency.EXPIRING
    return Currency.CURRENT


def normalise_jurisdiction(value: str) -> str:
    return value.strip().upper()


def is_valid_for_needling(cred: CredentialFacts, jurisdiction: str, on: date) -> bool:
    return (
        cred.kind == "licence"
        and normalise_jurisdiction(cred.jurisdiction) == normalise_jurisdiction(jurisdiction)
        and currency(cred, on) in (Currency.CURRENT, Currency.EXPIRING)
    )


@dataclass(frozen=True)
class Clearance:
    cleared: bool
    reason: str


def clearance_to_needle(
    credentials: Iterable[CredentialFacts], jurisdiction: str, on: date
) -> Clearance:
    """Cleared only with a current licence in the location's jurisdiction."""
    creds = list(credentials)
    if any(is_valid_for_needling(c, jurisdiction, on) for c in creds):
        return Clearance(True, f"current licence in {normalise_jurisdiction(jurisdiction)}")
    licences_here = [
        c
        for c in creds
        if c.kind == "licence"
        and normalise_jurisdiction(c.jurisdiction) == normalise_jurisdiction(jurisdiction)
    ]
    if not licences_here:
        return Clearance(False, f"no licence recorded for {normalise_jurisdiction(jurisdiction)}")
    states = sorted({currency(c, on).value.replace("_", " ") for c in licences_here})
    return Clearance(
        False, f"licence for {normalise_jurisdiction(jurisdiction)} is {' / '.join(states)}"
    )
