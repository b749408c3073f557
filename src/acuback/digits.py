"""Numbers and dates written with the ASCII digits 0-9, and nothing else.

Python's int(), float(), Decimal(), str.isdigit(), strptime() and the regex \\d all accept
other scripts' digits: int("١٢") is 12 and "²".isdigit() is True. A number typed or sent
in another script would be stored as another value or as text that looks like a number
but does not compare equal to it (an NPI in Arabic-Indic digits slipped past the check for
a duplicate NPI). Every parser of user input reads digits through here, or uses [0-9].
"""

from __future__ import annotations

import re

from django import forms

from acuback.input_bounds import OUT_OF_RANGE, in_range
from acuback.row_ids import row_id

ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")
NOT_ASCII_DIGITS = "Write numbers and dates with the digits 0-9."


def has_foreign_digit(text: str) -> bool:
    """Whether the text holds a digit (or other numeral) that is not one of 0-9."""
    return any(char.isnumeric() and not "0" <= char <= "9" for char in text)


def ascii_int(value) -> int:
    """An int from text of ASCII digits (an optional sign, spaces around); ValueError
    otherwise (int() alone would read "١٢" as 12)."""
    if isinstance(value, bool):
        raise ValueError(f"not a whole number: {value!r}")
    if isinstance(value, int):
        return value
    if not isinstance(value, str) or not ASCII_INTEGER.fullmatch(value.strip()):
        raise ValueError(f"not a whole number written with the digits 0-9: {value!r}")
    return int(value.strip())


# Form fields whose value is read as a number or a date (Django reads them with int(),
# Decimal() or strptime(), which take any script's digits), or names a row by its number.
DIGIT_FIELDS = (forms.IntegerField, forms.DateField, forms.DateTimeField, forms.TimeField,
                forms.DurationField, forms.ModelChoiceField, forms.SplitDateTimeField)


class AsciiDigitsMixin:
    """For every form: a number, a date, a time or a chosen record written with other
    digits than 0-9 is an error on that field, not another value; and a date outside the
    dates the system accepts (acuback.input_bounds) is an error too."""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or self._errors is None:
            return
        for name, field in self.fields.items():
            if not isinstance(field, DIGIT_FIELDS) or field.disabled:
                continue
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            values = raw if isinstance(raw, list | tuple) else [raw]
            if any(isinstance(v, str) and has_foreign_digit(v) for v in values):
                self.add_error(name, NOT_ASCII_DIGITS)
            elif _names_rows_by_number(field) and name in self.cleaned_data and any(
                    v not in (None, "") and row_id(v) is None for v in values):
                # "01" or "+5" is read as row 5 by the queryset: refused as an unknown id.
                self.add_error(name, forms.ValidationError(
                    field.error_messages["invalid_choice"], code="invalid_choice",
                    params={"value": next(v for v in values if row_id(v) is None)}))
            elif isinstance(field, forms.DateField | forms.DateTimeField) and \
                    name in self.cleaned_data and not in_range(self.cleaned_data[name]):
                self.add_error(name, OUT_OF_RANGE)


_INTEGER_KEYS = ("AutoField", "BigAutoField", "SmallAutoField", "IntegerField",
                 "BigIntegerField", "PositiveIntegerField")


def _names_rows_by_number(field) -> bool:
    """A choice of records by their numeric primary key (the ids of acuback/row_ids.py)."""
    return isinstance(field, forms.ModelChoiceField) and field.to_field_name is None and \
        field.queryset is not None and \
        field.queryset.model._meta.pk.get_internal_type() in _INTEGER_KEYS
