from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import diagnoses, points
from acuback.clinical.episodes import Chronicity, chronicity


def test_the_catalogue_has_the_361_who_points_with_the_documented_meridian_counts():
    standard = [p for p in points.all_points() if p.is_standard]
    assert len(standard) == 361
    assert Counter(p.meridian for p in standard) == {
        "LU": 11, "LI": 20, "ST": 45, "SP": 21, "HT": 9, "SI": 19, "BL": 67, "KI": 27, "PC": 9,
        "TE": 23, "GB": 44, "LR": 14, "GV": 28, "CV": 24}


def test_the_caution_flags_match_the_data_readme():
    assert sum(p.pregnancy_caution for p in points.all_points()) == 26
    assert sum(p.pneumothorax_caution for p in points.all_points()) == 58


@pytest.mark.parametrize("given_code, expected", [
    ("UB23", "BL23"), ("bl-23", "BL23"), ("Du4", "GV4"), ("Ren 6", "CV6"), ("SJ5", "TE5"),
    ("TW5", "TE5"), ("LV3", "LR3"), ("Liv3", "LR3"), ("BL023", "BL23"), ("EX-B2", "EX-B2"),
])
def test_legacy_aliases_are_normalised(given_code, expected):
    assert points.lookup(given_code).code == expected


@pytest.mark.parametrize("bad", ["BL68", "XX1", "", "GV29", "23BL"])
def test_unknown_codes_are_none(bad):
    assert points.lookup(bad) is None


def test_search_by_pinyin_and_hanzi():
    assert points.search("Shenshu")[0].code == "BL23"
    assert points.search("腎俞")[0].code == "BL23"


def test_extra_points_are_not_standard_and_may_span_two_regions():
    jiaji = points.lookup("EX-B2")
    assert not jiaji.is_standard and set(jiaji.regions) == {"upper_back", "lower_back"}


def test_gv_and_cv_points_are_midline():
    assert points.lookup("GV4").midline and not points.lookup("BL23").midline


def test_header_codes_are_refused_with_their_replacements():
    assert diagnoses.check("M54.50") is None
    assert "M54.50, M54.51, M54.59" in diagnoses.check("m54.5")
    assert "not an ICD-10-CM code" in diagnoses.check("Z99.9")


def test_specific_causes_are_marked():
    assert diagnoses.BY_CODE["G83.4"].specific_cause
    assert not diagnoses.BY_CODE["M54.50"].specific_cause


ON = date(2026, 11, 23)


@pytest.mark.parametrize("days, expected", [
    (0, Chronicity.ACUTE), (27, Chronicity.ACUTE), (28, Chronicity.SUBACUTE),
    (83, Chronicity.SUBACUTE), (84, Chronicity.CHRONIC), (4000, Chronicity.CHRONIC)])
def test_chronicity_boundaries_at_4_and_12_weeks(days, expected):
    assert chronicity(ON - timedelta(days=days), ON) is expected


def test_an_onset_after_the_assessment_is_refused():
    with pytest.raises(ValueError):
        chronicity(ON + timedelta(days=1), ON)


@given(st.integers(0, 5000), st.integers(0, 5000))
def test_chronicity_never_goes_back_as_time_passes(a, b):
    order = [Chronicity.ACUTE, Chronicity.SUBACUTE, Chronicity.CHRONIC]
    onset = ON - timedelta(days=max(a, b))
    earlier, later = ON - timedelta(days=max(a, b) - min(a, b)), ON
    assert order.index(chronicity(onset, earlier)) <= order.index(chronicity(onset, later))
