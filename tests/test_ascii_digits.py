"""Every parser of user input takes the ASCII digits 0-9 only (issue #30 re-test): Python's
int(), Decimal(), strptime() and \\d also take "١٢٣" and "²"."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import unicodedata

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

import acuback
from acuback.accounts.validators import validate_npi
from acuback.clinical import instruments, points
from acuback.digits import AsciiDigitsMixin, ascii_int, has_foreign_digit
from acuback.patients.selectors import parse_search_date
from acuback.web.params import int_or

# Every character Python's int() reads as a digit, bar 0-9 (Arabic-Indic, Devanagari,
# fullwidth, ...), and other numerals (superscripts) that str.isdigit() accepts.
FOREIGN_DIGITS = [c for c in map(chr, range(0x110000))
                  if (c.isdecimal() or c.isdigit()) and not "0" <= c <= "9"]


def foreign(text: str, data) -> str:
    """`text` (ASCII digits) with at least one digit written in another script."""
    positions = [i for i, c in enumerate(text) if c.isdigit()]
    chosen = data.draw(st.lists(st.sampled_from(positions), min_size=1, unique=True))
    chars = list(text)
    for i in chosen:
        same = [c for c in FOREIGN_DIGITS if c.isdecimal()
                and unicodedata.decimal(c) == int(text[i])]
        chars[i] = data.draw(st.sampled_from(same or FOREIGN_DIGITS))
    return "".join(chars)


def test_python_reads_other_scripts_digits():  # why this module exists
    assert int("١٢٣") == 123 and "²".isdigit() and len(FOREIGN_DIGITS) > 400


@given(data=st.data())
def test_an_npi_in_other_digits_is_refused(data):
    valid = "1234567893"
    validate_npi(valid)
    with pytest.raises(ValidationError):
        validate_npi(foreign(valid, data))


@given(number=st.integers(0, 10**12), data=st.data())
def test_whole_numbers_are_read_from_ascii_digits_only(number, data):
    text = str(number)
    assert ascii_int(text) == number and int_or(text, -1) == number
    other = foreign(text, data)
    with pytest.raises(ValueError):
        ascii_int(other)
    assert int_or(other, -1) == -1
    assert has_foreign_digit(other) and not has_foreign_digit(text)


@given(data=st.data())
def test_a_search_date_in_other_digits_is_not_a_date(data):
    assert parse_search_date("2001-03-04") is not None
    assert parse_search_date(foreign("2001-03-04", data)) is None
    assert parse_search_date(foreign("03/04/2001", data)) is None


@given(data=st.data())
def test_an_acupoint_code_in_other_digits_is_not_a_point(data):
    assert points.lookup("BL23") is not None
    assert points.lookup(foreign("BL23", data)) is None


@given(data=st.data())
def test_an_answer_keyed_by_other_digits_is_refused(data):
    assert instruments.score("nrs", {"1": 5}).total == 5
    with pytest.raises(ValueError):
        instruments.score("nrs", {foreign("1", data): 5})


class Sample(AsciiDigitsMixin, forms.Form):
    count = forms.IntegerField()
    amount = forms.DecimalField()
    day = forms.DateField()
    note = forms.CharField()


@given(data=st.data())
def test_a_form_refuses_numbers_and_dates_in_other_digits(data):
    good = {"count": "12", "amount": "3.50", "day": "2026-01-31", "note": "٣ times"}
    assert Sample(good).is_valid()  # free text may hold any script's digits
    name = data.draw(st.sampled_from(["count", "amount", "day"]))
    form = Sample({**good, name: foreign(good[name], data)})
    assert not form.is_valid() and list(form.errors) == [name]


def _form_classes():
    for module in pkgutil.walk_packages(acuback.__path__, "acuback."):
        if module.name.endswith(".forms"):
            for _, cls in inspect.getmembers(importlib.import_module(module.name),
                                             inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.name:
                    yield cls


def test_every_form_of_the_application_refuses_other_digits():
    classes = list(_form_classes())
    assert len(classes) > 30
    missing = [c.__qualname__ for c in classes if not issubclass(c, AsciiDigitsMixin)]
    assert missing == []
