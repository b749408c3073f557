"""SMART App Launch 2.0 scopes: what an app asks for, read as what it may do.

Plain Python (no Django): the grammar of SMART v2 clinical scopes
(``patient/Observation.rs``, ``user/*.rs``, ``system/*.rs``) and the launch scopes
(``launch/patient``, ``offline_access`` …), from the SMART App Launch 2.0.0
specification, "Scopes and Launch Context" (https://hl7.org/fhir/smart-app-launch/
STU2/scopes-and-launch-context.html). acuback's FHIR API only reads, so a scope asking
for create, update or delete is refused, naming it, rather than silently narrowed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

CONTEXTS = ("patient", "user", "system")
# v2 permissions in the order the specification requires (c r u d s); acuback reads only.
V2_ORDER = "cruds"
READ_ONLY = frozenset("rs")
# SMART v1 names, still accepted by SMART 2.0 servers: read = v2 "rs".
V1_PERMISSIONS = {"read": "rs", "write": "cud", "*": "cruds"}
LAUNCH_PATIENT = "launch/patient"
OFFLINE_ACCESS = "offline_access"
ONLINE_ACCESS = "online_access"
# Scopes the server understands that name no resource (openid/fhirUser are not offered:
# acuback issues no OpenID Connect id_token).
CONTEXT_SCOPES = frozenset({LAUNCH_PATIENT, OFFLINE_ACCESS, ONLINE_ACCESS})

_CLINICAL = re.compile(r"(?P<context>[a-z]+)/(?P<type>\*|[A-Z][A-Za-z]*)\.(?P<perms>[a-z*]+)")


class ScopeError(ValueError):
    """A scope acuback cannot grant; the message names it."""


@dataclass(frozen=True)
class ResourceScope:
    context: str  # patient, user or system
    resource_type: str  # a type name, or "*"
    permissions: frozenset[str]  # subset of "rs"

    def covers(self, resource_type: str, permission: str) -> bool:
        return permission in self.permissions and self.resource_type in ("*", resource_type)


def parse_scope(scope: str, known_types: Collection[str]) -> ResourceScope | None:
    """One scope: a ResourceScope, None for a launch/context scope, or ScopeError."""
    if scope in CONTEXT_SCOPES:
        return None
    match = _CLINICAL.fullmatch(scope)
    if match is None:
        raise ScopeError(f"scope {scope!r} is not a SMART scope acuback supports "
                         "(e.g. patient/Observation.rs, user/*.rs, system/*.rs, "
                         "launch/patient, offline_access)")
    context, resource_type, perms = match["context"], match["type"], match["perms"]
    if context not in CONTEXTS:
        raise ScopeError(f"scope {scope!r}: the context must be patient, user or system")
    if resource_type != "*" and resource_type not in known_types:
        raise ScopeError(f"scope {scope!r}: acuback serves no {resource_type} resources")
    letters = V1_PERMISSIONS.get(perms, perms)
    if not letters or any(c not in V2_ORDER for c in letters) \
            or "".join(sorted(set(letters), key=V2_ORDER.index)) != letters:
        raise ScopeError(f"scope {scope!r}: permissions are letters of 'cruds' in that "
                         "order (or v1 'read')")
    if set(letters) - READ_ONLY:
        raise ScopeError(f"scope {scope!r}: acuback's FHIR API only reads and searches; "
                         "ask for .rs (or .r, .s)")
    return ResourceScope(context, resource_type, frozenset(letters))


@dataclass(frozen=True)
class ScopeGrant:
    """The scopes of one authorisation, parsed."""

    resources: tuple[ResourceScope, ...]
    launch_patient: bool
    offline: bool

    @property
    def contexts(self) -> frozenset[str]:
        return frozenset(r.context for r in self.resources)

    def allows(self, resource_type: str, permission: str) -> bool:
        """May the holder read ("r") or search ("s") this type? Whose records it reaches
        is the launch context's business (a patient/ scope: that patient only)."""
        return any(r.covers(resource_type, permission) for r in self.resources)

    def allows_all(self, permission: str) -> bool:
        return any(r.resource_type == "*" and permission in r.permissions
                   for r in self.resources)


def parse_scopes(scopes: Iterable[str], known_types: Collection[str]) -> ScopeGrant:
    """Every scope of a request; ScopeError naming the first one acuback cannot grant.
    Mixing patient/ and user/ or system/ scopes is refused: one token has one context."""
    scopes = list(scopes)
    resources = tuple(r for r in (parse_scope(s, known_types) for s in scopes) if r)
    contexts = {r.context for r in resources}
    if len(contexts) > 1:
        raise ScopeError(f"scopes mix the contexts {', '.join(sorted(contexts))}: ask for "
                         "one of patient/, user/ or system/ scopes")
    return ScopeGrant(resources=resources, launch_patient=LAUNCH_PATIENT in scopes,
                      offline=OFFLINE_ACCESS in scopes)


def describe(scope: str) -> str:
    """The scope in words, for the consent screen."""
    if scope == LAUNCH_PATIENT:
        return "Know which patient's record you chose to open"
    if scope == OFFLINE_ACCESS:
        return "Keep access after you log out, until you revoke it (a refresh token)"
    if scope == ONLINE_ACCESS:
        return "Keep access while you are logged in"
    match = _CLINICAL.fullmatch(scope)
    if match is None:
        return scope
    letters = V1_PERMISSIONS.get(match["perms"], match["perms"])
    verbs = " and ".join(v for c, v in (("r", "read"), ("s", "search")) if c in letters)
    what = "every kind of record" if match["type"] == "*" else f"{match['type']} records"
    whose = {"patient": "of the chosen patient", "user": "that you may see",
             "system": "of the whole clinic"}.get(match["context"], "")
    return f"{verbs.capitalize()} {what} {whose}".strip()
