"""The one rule for the ids in our URLs (web pages, the JSON API and FHIR): a row's
primary key written canonically, ASCII digits with no leading zero and within a 64-bit
key. "01" is not "1" and names nothing (404); FHIR reads the same rule (interop.search
.row_id).

`CanonicalId` is the path converter, registered once as ``id`` (web.apps.WebConfig.ready): every URL
pattern names a row as ``<id:pk>``, never ``<int:pk>`` (which reads "01" and "007" as 1
and 7). tests/web/test_canonical_ids.py walks the URL resolver for any ``int`` left."""

from __future__ import annotations

import re

MAX_ROW_ID = 2**63 - 1
# No leading zero, at most 19 digits; the value is then checked against MAX_ROW_ID.
CANONICAL_ID = re.compile(r"[1-9][0-9]{0,18}")


def row_id(value) -> int | None:
    """The primary key `value` names, or None when the text names no row here. The one
    parser of ids from URLs, query strings and posted fields: "01", "+5", " 5" and "٥"
    name nothing (the same answer as an unknown id). An int (a form's initial value set
    by our own code) is taken as it is when it can be a key."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= MAX_ROW_ID else None
    if not isinstance(value, str) or not CANONICAL_ID.fullmatch(value):
        return None
    number = int(value)
    return number if number <= MAX_ROW_ID else None


NO_ROW = 0  # no row has this key


def param_id(value) -> int:
    """The key a query-string or posted parameter names, to look a row up by (`row_id`'s
    rule); NO_ROW when the text names none, so the look-up answers as for an unknown id."""
    return row_id(value) or NO_ROW


class CanonicalId:
    """``<id:name>``: the URL matches only a canonical id (else the resolver answers 404)."""

    regex = CANONICAL_ID.pattern

    def to_python(self, value: str) -> int:
        number = row_id(value)
        if number is None:  # 20 digits and beyond 2**63-1: no such row, so no match
            raise ValueError(f"{value!r} is not an id")
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def register() -> None:
    """Register the converter as ``id`` (at start-up, before any URL module is read)."""
    from django.urls import converters, register_converter

    if "id" not in converters.get_converters():
        register_converter(CanonicalId, "id")
