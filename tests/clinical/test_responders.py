"""The one responder rule (clinical/responders.py) and its companions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import instruments, responders

SCORES = st.floats(0, 100, allow_nan=False)


@given(st.sampled_from(sorted(instruments.REGISTRY)), SCORES, SCORES)
def test_a_responder_is_an_improvement_that_meets_the_threshold(instrument, baseline, current):
    result = responders.responder(instrument, baseline=baseline, current=current)
    if instruments.get(instrument).mcid is None:
        assert result is None  # change only, never a responder flag
    else:
        c = responders.change(instrument, baseline=baseline, current=current)
        assert result == (c.mcid_met and c.direction == "improving")


@pytest.mark.parametrize("instrument, baseline, current, expected", [
    ("odi", 60, 50, True),     # 10 points (the dashboard's flat 30 % said no)
    ("odi", 20, 14, True),     # 6 points but 30 %
    ("odi", 50, 42, False),    # 8 points, 16 %
    ("nrs", 3, 2, True),       # 1 point, 33 %
    ("psfs", 3, 5, True),      # higher is better
    ("schober", 5.0, 6.8, False),  # 1.8 cm is not beyond the 1.8 cm measurement error
    ("schober", 5.0, 6.9, True),
    ("ffd", 30, 20.2, False),  # 9.8 cm: within measurement error
    ("ffd", 30, 20, True),
    ("gad7", 12, 2, None),     # no MCID: no responder flag
])
def test_worked_examples(instrument, baseline, current, expected):
    assert responders.responder(instrument, baseline=baseline, current=current) is expected


def test_the_rule_is_stated_per_instrument_with_its_source():
    assert responders.threshold_text("odi") == "at least 10 points or 30 %"
    assert responders.threshold_text("peg") == "at least 1 point"
    assert responders.threshold_text("schober") == "more than 1.8 cm (measurement error)"
    assert responders.threshold_text("gad7") is None
    assert "Ostelo" in responders.DEFINITION and "measurement error" in responders.DEFINITION
    assert responders.responder_wording("nrs") == \
        "improved by at least the MCID (at least 2 points or 30 %)"
    assert responders.responder_wording("schober") == \
        "improved beyond measurement error (more than 1.8 cm)"
    assert responders.responder_wording("gad7") is None


@given(st.sampled_from(sorted(i for i, inst in instruments.REGISTRY.items() if inst.mcid)),
       st.floats(0.5, 100, allow_nan=False), st.floats(0, 100, allow_nan=False))
def test_the_charts_no_change_band_is_exactly_where_the_mcid_is_not_met(instrument, baseline,
                                                                        current):
    low, high = responders.no_change_band(instrument, baseline)
    met = responders.change(instrument, baseline=baseline, current=current).mcid_met
    margin = 1e-6
    if low + margin < current < high - margin:
        assert not met
    elif current < low - margin or current > high + margin:
        assert met
