"""Credential currency and clearance to needle (safety.md §9)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.credentials import (
    CredentialFacts,
    Currency,
    clearance_to_needle,
    currency,
)

TODAY = date(2026, 11, 23)


def licence(jurisdiction="US-OR", status="active", issued=None, expires=None, kind="licence"):
    return CredentialFacts(kind=kind, status=status, jurisdiction=jurisdiction,
                           issued_on=issued, expires_on=expires)


def test_an_expiry_date_is_the_last_valid_day():
    assert currency(licence(expires=TODAY), TODAY) is Currency.EXPIRING
    assert currency(licence(expires=TODAY - timedelta(days=1)), TODAY) is Currency.EXPIRED


def test_the_warning_window_is_sixty_days():
    assert currency(licence(expires=TODAY + timedelta(days=60)), TODAY) is Currency.EXPIRING
    assert currency(licence(expires=TODAY + timedelta(days=61)), TODAY) is Currency.CURRENT


def test_a_suspended_licence_is_inactive_whatever_its_dates():
    cred = licence(status="suspended", expires=TODAY + timedelta(days=400))
    assert currency(cred, TODAY) is Currency.INACTIVE


def test_a_licence_not_yet_issued_is_not_yet_valid():
    assert currency(licence(issued=TODAY + timedelta(days=1)), TODAY) is Currency.NOT_YET_VALID


def test_cleared_with_a_current_licence_in_the_jurisdiction():
    result = clearance_to_needle([licence(expires=TODAY + timedelta(days=30))], "us-or", TODAY)
    assert result.cleared


def test_not_cleared_with_a_licence_elsewhere():
    result = clearance_to_needle([licence(jurisdiction="US-WA")], "US-OR", TODAY)
    assert not result.cleared
    assert result.reason == "no licence recorded for US-OR"


def test_not_cleared_with_an_expired_licence_and_told_why():
    result = clearance_to_needle([licence(expires=TODAY - timedelta(days=3))], "US-OR", TODAY)
    assert not result.cleared
    assert result.reason == "licence for US-OR is expired"


def test_a_certification_alone_never_clears():
    result = clearance_to_needle([licence(kind="certification")], "US-OR", TODAY)
    assert not result.cleared


credentials = st.builds(
    CredentialFacts,
    kind=st.sampled_from(["licence", "certification", "degree", "membership", "permit"]),
    status=st.sampled_from(["active", "pending", "suspended", "revoked", "lapsed"]),
    jurisdiction=st.sampled_from(["US-OR", "US-WA", "GB"]),
    issued_on=st.none() | st.dates(date(2015, 1, 1), date(2030, 1, 1)),
    expires_on=st.none() | st.dates(date(2015, 1, 1), date(2035, 1, 1)),
)


@given(st.lists(credentials, max_size=6), st.dates(date(2020, 1, 1), date(2032, 1, 1)))
def test_clearance_holds_exactly_when_one_active_in_date_licence_is_in_the_jurisdiction(creds, on):
    expected = any(
        c.kind == "licence" and c.status == "active" and c.jurisdiction == "US-OR"
        and (c.issued_on is None or c.issued_on <= on)
        and (c.expires_on is None or c.expires_on >= on)
        for c in creds
    )
    result = clearance_to_needle(creds, "US-OR", on)
    assert result.cleared is expected
    assert result.reason


@given(credentials, st.dates(date(2020, 1, 1), date(2032, 1, 1)))
def test_adding_a_credential_never_removes_clearance(extra, on):
    base = [licence(expires=None)]
    assert clearance_to_needle(base + [extra], "US-OR", on).cleared
