"""Issue #28 §6: the patient's progress opens with one plain sentence, by the one
responder rule (clinical.responders.change)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import responders


def _statuses(instrument_id, baseline, latest):
    return {instrument_id: responders.measure_status(instrument_id, [baseline, latest])}


def test_three_points_lower_on_pain_is_a_change_that_matters():
    assert responders.plain_summary(_statuses("nrs", 7, 4)) == \
        "Your pain score is 3 points lower than when you started: a change that matters."


def test_one_point_lower_is_not_yet_a_change_that_matters():
    assert responders.plain_summary(_statuses("nrs", 7, 6)) == \
        "Your pain score is 1 point lower than when you started: not yet a change that matters."


def test_function_is_named_when_pain_has_one_score():
    text = responders.plain_summary(_statuses("odi", 40, 40))
    assert text == ("Your Oswestry Disability Index score is the same as when you started: "
                    "not yet a change that matters.")


def test_nothing_to_say_with_one_score():
    assert responders.plain_summary({}) is None


@given(st.integers(0, 10), st.integers(0, 10))
def test_the_sentence_agrees_with_the_responder_rule(baseline, latest):
    text = responders.plain_summary(_statuses("nrs", baseline, latest))
    direction = responders.change("nrs", baseline=baseline, current=latest).direction
    assert text.endswith(": a change that matters.") == (direction == "improving")
    assert ("for the worse" in text) == (direction == "worsening")
    assert ("lower" in text) == (latest < baseline) and ("higher" in text) == (latest > baseline)
    assert "_" not in text
