"""Numbers read from query strings and form fields."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from acuback.web.params import int_or


def test_a_whole_number_is_read_and_anything_else_gives_the_default():
    assert int_or("42", 0) == 42 and int_or(" 7 ", 0) == 7 and int_or(-3, 0) == -3
    for bad in (None, "", "abc", "4.5", "\x00", "1e3"):
        assert int_or(bad, 5) == 5, bad


@given(st.integers())
def test_any_integer_written_out_is_read_back(number):
    assert int_or(str(number), 0) == number
