"""Whole numbers from a query string or a form field, which a user or a stale link may
have mangled: a default instead of a server error."""

from __future__ import annotations

from acuback.digits import ascii_int


def int_or(value, default: int) -> int:
    """`value` as an int; `default` when it is missing or not a whole number. (A number
    too large for a key is fine: Django finds no row for it.)"""
    try:
        return ascii_int(value)  # int() alone would read "١٢" as 12
    except (TypeError, ValueError):
        return default
