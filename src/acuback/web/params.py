"""Numbers and dates from a query string or a form field, which a user or a stale link
may have mangled: a default instead of a server error."""

from __future__ import annotations

from datetime import date

from django import forms

from acuback.digits import ascii_int
from acuback.input_bounds import EARLIEST, LATEST, OUT_OF_RANGE


def int_or(value, default: int) -> int:
    """`value` as an int; `default` when it is missing or not a whole number. (A number
    too large for a key is fine: Django finds no row for it.)"""
    try:
        return ascii_int(value)  # int() alone would read "١٢" as 12
    except (TypeError, ValueError):
        return default


def parse_date(value) -> date | None:
    """`value` (YYYY-MM-DD) as a date within EARLIEST..LATEST; None when it is missing,
    not such a date, or outside the range."""
    if not isinstance(value, str):
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST and len(value.strip()) == 10 else None


def date_or(value, default: date) -> date:
    """`value` as a date (parse_date); `default` when it is not one."""
    return parse_date(value) or default


class DateField(forms.DateField):
    """A form's date field that refuses a date outside EARLIEST..LATEST with a message
    (the form shows it by the field), so no view steps past Python's last date."""

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(OUT_OF_RANGE, code="out_of_range")
        return day
