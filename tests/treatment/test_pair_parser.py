"""Clinician re-test of issue #26: "EX-B2 left - EX-B2 right" was refused with "EX is not
a known acupoint code": the dash inside EX-B2 was taken for the pair's dash. Every
hyphenated code (the extra points EX-...) parses, on either end, with any separator."""

from __future__ import annotations

from django import forms
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import points
from acuback.treatment.forms import parse_pair

# "Ashi" is not a point code (an Ashi site is recorded by its location), so never a pair's end.
NOT_MIDLINE = [p.code for p in points.all_points() if not p.midline and p.code != points.ASHI]
HYPHENATED = [c for c in NOT_MIDLINE if "-" in c]


def test_the_catalogue_has_hyphenated_codes():
    assert "EX-B2" in HYPHENATED and len(HYPHENATED) >= 3


def test_ex_b2_left_to_right_parses():
    assert parse_pair("EX-B2 left - EX-B2 right") == {
        "code": "EX-B2", "side": "left", "paired_with": "EX-B2", "paired_side": "right"}


@given(st.sampled_from(HYPHENATED), st.sampled_from(NOT_MIDLINE),
       st.sampled_from(["left", "right"]), st.sampled_from(["left", "right"]),
       st.sampled_from([" - ", "-", " – ", " to ", " — "]), st.booleans())
def test_every_hyphenated_code_parses_on_either_end(code, other, side, other_side, dash, swap):
    first, second = (other, code) if swap else (code, other)
    sides = (other_side, side) if swap else (side, other_side)
    pair = parse_pair(f"{first} {sides[0]}{dash}{second} {sides[1]}")
    assert (pair["code"], pair["side"], pair["paired_with"], pair["paired_side"]) == (
        first, sides[0], second, sides[1])


def test_a_wrong_code_is_still_named():
    try:
        parse_pair("EX-B99 left - BL23 left")
    except forms.ValidationError as exc:
        assert "EX-B99" in " ".join(exc.messages)
    else:
        raise AssertionError("an unknown code was accepted")


def test_the_plan_form_takes_hyphenated_pairs():
    from acuback.treatment.forms import PlanForm

    form = PlanForm()
    form.cleaned_data = {"ea_pairs": "EX-B2 left - EX-B2 right\nEX-UE7 left to LI4 left"}
    assert form.clean_ea_pairs() == [
        {"code": "EX-B2", "side": "left", "paired_with": "EX-B2", "paired_side": "right"},
        {"code": "EX-UE7", "side": "left", "paired_with": "LI4", "paired_side": "left"}]


def test_ashi_typed_as_a_pair_end_is_refused_asking_for_its_location():
    try:
        parse_pair("BL23 left - Ashi left")
    except forms.ValidationError as exc:
        assert "location" in " ".join(exc.messages)
    else:
        raise AssertionError("Ashi was accepted as a point code")
