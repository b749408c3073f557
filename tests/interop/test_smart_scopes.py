"""The SMART scope grammar (pure rules, interop/smart_scopes.py)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.interop.smart_scopes import ScopeError, describe, parse_scope, parse_scopes

TYPES = ("Patient", "Observation", "Condition")
LETTERS = "cruds"
# Every non-empty v2 permission string in the specification's order.
ORDERED = ["".join(c) for n in range(1, 6) for c in itertools.combinations(LETTERS, n)]


@given(context=st.sampled_from(["patient", "user", "system"]),
       resource=st.sampled_from([*TYPES, "*"]), perms=st.sampled_from(ORDERED))
def test_a_scope_is_granted_exactly_when_it_only_reads(context, resource, perms):
    scope = f"{context}/{resource}.{perms}"
    if set(perms) <= {"r", "s"}:
        parsed = parse_scope(scope, TYPES)
        assert parsed.permissions == frozenset(perms) and parsed.context == context
        for letter in "rs":
            assert parsed.covers("Observation", letter) == (
                letter in perms and resource in ("*", "Observation"))
    else:
        with pytest.raises(ScopeError, match="only reads"):
            parse_scope(scope, TYPES)
    assert describe(scope)  # the consent screen always has words for it


@given(perms=st.text(alphabet="cruds*", min_size=1, max_size=6))
def test_permissions_out_of_order_or_repeated_are_refused(perms):
    scope = f"user/*.{perms}"
    if perms in ORDERED and set(perms) <= {"r", "s"} or perms == "*" or perms == "":
        return
    with pytest.raises(ScopeError):
        parse_scope(scope, TYPES)


def test_v1_read_is_v2_rs_and_write_is_refused():
    assert parse_scope("patient/*.read", TYPES).permissions == frozenset("rs")
    with pytest.raises(ScopeError):
        parse_scope("patient/*.write", TYPES)


@pytest.mark.parametrize("scope", ["patient/Unknown.rs", "clinic/*.rs", "patient/*",
                                   "patient/*.rs?category=laboratory", "openid", "fhirUser",
                                   "launch", "PATIENT/*.rs", ""])
def test_what_is_not_supported_is_refused_naming_it(scope):
    with pytest.raises(ScopeError) as error:
        parse_scope(scope, TYPES)
    assert repr(scope) in str(error.value)


def test_one_token_has_one_context():
    with pytest.raises(ScopeError, match="mix"):
        parse_scopes(["patient/*.rs", "system/*.rs"], TYPES)
    grant = parse_scopes(["launch/patient", "patient/Observation.rs", "offline_access"], TYPES)
    assert grant.launch_patient and grant.offline and grant.contexts == {"patient"}
    assert grant.allows("Observation", "r") and not grant.allows("Condition", "r")
    assert not grant.allows_all("r")
