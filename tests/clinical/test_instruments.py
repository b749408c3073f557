"""Scoring against the worked examples and rules of shared/clinical/instruments.md."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import instruments, responders


def test_every_instrument_of_the_design_is_registered():
    assert {"nrs", "odi", "rmdq", "startback", "peg", "phq2", "phq9", "gad2", "gad7", "pgic",
            "psfs", "schober", "ffd"} == set(instruments.REGISTRY)


# --- ODI (§3) ---------------------------------------------------------------------------

def test_odi_all_ten_sections_is_sum_times_two():
    assert instruments.score("odi", dict.fromkeys(range(1, 11), 2)).total == 40.0


def test_odi_one_section_missing_leaves_the_denominator():
    # instruments.md §3: sum 16 over 9 answered sections -> 16/45 x 100 = 35.6 %
    answers = {1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2, 8: 1, 9: 1}
    assert instruments.score("odi", answers).total == pytest.approx(35.555, abs=0.01)


def test_odi_fewer_than_eight_sections_is_not_scored():
    result = instruments.score("odi", dict.fromkeys(range(1, 8), 1))
    assert result.total is None and "7 of 10" in result.note


@pytest.mark.parametrize("percent_sum, band", [(10, "minimal disability"),
                                               (20, "moderate disability"),
                                               (30, "severe disability"),
                                               (45, "bed-bound or exaggerating symptoms")])
def test_odi_bands(percent_sum, band):
    # ten sections summing to percent_sum give percent_sum x 2 %
    answers = dict.fromkeys(range(1, 11), 0)
    remaining, n = percent_sum, 1
    while remaining:
        answers[n] = min(5, remaining)
        remaining -= answers[n]
        n += 1
    assert instruments.score("odi", answers).band == band


def test_odi_upper_bounds_are_inclusive():
    from acuback.clinical.instruments.odi import band_for

    assert band_for(20.0) == "minimal disability" and band_for(20.5) == "moderate disability"


# --- RMDQ (§4) --------------------------------------------------------------------------

def test_rmdq_counts_ticked_statements_and_absent_items_are_unticked():
    assert instruments.score("rmdq", {1: 1, 5: 1, 24: 1}).total == 3


def test_rmdq_an_unreadable_item_means_no_score():
    assert instruments.score("rmdq", {1: 1, 2: None}).total is None


# --- STarT Back (§5) --------------------------------------------------------------------

@pytest.mark.parametrize("answers, total, distress, band", [
    ({1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 6: 0, 7: 0, 8: 0, 9: 2}, 3, 0, "low"),
    ({1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 0, 7: 0, 8: 0, 9: 1}, 5, 1, "medium"),
    ({1: 0, 2: 0, 3: 0, 4: 0, 5: 1, 6: 1, 7: 1, 8: 0, 9: 3}, 4, 4, "high"),
    ({1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 4}, 9, 5, "high"),
])
def test_startback_total_distress_and_risk_group(answers, total, distress, band):
    result = instruments.score("startback", answers)
    assert (result.total, result.subscores["distress"], result.band) == (total, distress, band)


def test_startback_item_9_scores_only_very_much_and_extremely():
    base = dict.fromkeys(range(1, 9), 0)
    assert [instruments.score("startback", {**base, 9: raw}).total for raw in range(5)] == [
        0, 0, 0, 1, 1]


def test_startback_any_item_missing_gives_no_risk_group():
    result = instruments.score("startback", dict.fromkeys(range(1, 9), 1))
    assert result.total is None and result.band is None


# --- PEG, NRS (§2, §6) ------------------------------------------------------------------

def test_peg_is_the_mean_of_three_and_needs_all_three():
    assert instruments.score("peg", {1: 6, 2: 5, 3: 4}).total == 5.0
    assert instruments.score("peg", {1: 6, 2: 5}).total is None


def test_nrs_scores_the_rating_as_given_and_keeps_each_frame():
    result = instruments.score("nrs", {1: 6, 2: 4, 3: 8})
    assert result.total == 6 and result.subscores == {"average_24h": 6, "current": 4,
                                                      "worst_24h": 8}
    assert instruments.score("nrs", {2: 4}).total is None


# --- PHQ and GAD (§7, §8) ---------------------------------------------------------------

@pytest.mark.parametrize("total, band", [(4, "below threshold"), (5, "mild"), (10, "moderate"),
                                         (15, "moderately severe"), (20, "severe")])
def test_phq9_bands(total, band):
    answers = dict.fromkeys(range(1, 10), 0)
    for n in range(1, 10):
        answers[n] = min(3, total - sum(answers.values()))
    assert instruments.score("phq9", answers).band == band


def test_phq9_needs_all_nine_and_ignores_the_difficulty_item():
    answers = dict.fromkeys(range(1, 10), 1)
    assert instruments.score("phq9", {**answers, 10: 3}).total == 9
    del answers[4]
    assert instruments.score("phq9", answers).total is None


def test_phq2_screen_at_3():
    assert instruments.score("phq2", {1: 1, 2: 2}).band == "positive screen"
    assert instruments.score("phq2", {1: 1, 2: 1}).band == "negative screen"


def test_phq9_item_9_above_zero_or_blank_raises_the_alert():
    from acuback.clinical.instruments.phq import self_harm_alert

    assert self_harm_alert({9: 1}) and self_harm_alert({1: 0})
    assert not self_harm_alert({9: 0})


def test_gad7_bands_and_all_items_needed():
    assert instruments.score("gad7", dict.fromkeys(range(1, 8), 2)).band == "moderate"
    assert instruments.score("gad7", dict.fromkeys(range(1, 7), 2)).total is None


# --- PGIC, PSFS, ROM (§10–§12) ----------------------------------------------------------

def test_pgic_is_a_category():
    assert instruments.score("pgic", {1: 2}).band == "much improved"


def test_psfs_is_the_mean_of_rated_activities():
    assert instruments.score("psfs", {1: 4, 2: 6}).total == 5.0
    assert instruments.score("psfs", {}).total is None


def test_range_of_motion_is_the_measurement():
    assert instruments.score("schober", {1: 4.5}).total == 4.5
    assert instruments.score("ffd", {1: 0}).total == 0


# --- bad input --------------------------------------------------------------------------

@pytest.mark.parametrize("instrument, answers, fragment", [
    ("odi", {1: 6}, "item 1 answer 6 is out of range"),
    ("odi", {11: 1}, "there is no item 11"),
    ("rmdq", {3: 2}, "item 3"),
    ("phq9", {9: 4}, "item 9"),
    ("startback", {9: 5}, "item 9"),
    ("pgic", {1: 0}, "item 1"),
    ("nrs", {1: 11}, "item 1"),
    ("nrs", {1: "7"}, "item 1 must be a number"),
    ("nrs", {"x": 1}, "not an item number"),
])
def test_out_of_range_answers_raise_naming_the_item(instrument, answers, fragment):
    with pytest.raises(ValueError, match=fragment):
        instruments.score(instrument, answers)


def test_unknown_instrument_is_refused():
    with pytest.raises(ValueError):
        instruments.score("sf36", {})


# --- properties -------------------------------------------------------------------------

def answers_for(instrument_id: str):
    inst = instruments.get(instrument_id)
    return st.fixed_dictionaries({}, optional={
        item.number: st.sampled_from([o.value for o in item.options]) if item.options
        else st.floats(item.minimum, item.maximum) for item in inst.items})


@pytest.mark.parametrize("instrument_id", sorted(instruments.REGISTRY))
@given(data=st.data())
def test_scores_stay_in_range(instrument_id, data):
    inst = instruments.get(instrument_id)
    result = instruments.score(instrument_id, data.draw(answers_for(instrument_id)))
    if result.total is not None:
        assert inst.minimum <= result.total <= inst.maximum


@given(st.dictionaries(st.integers(1, 10), st.integers(0, 5), min_size=8),
       st.integers(1, 10))
def test_more_disability_never_scores_lower_on_the_odi(answers, section):
    before = instruments.score("odi", answers).total
    worse = {**answers, section: min(5, answers.get(section, 0) + 1)}
    if section not in answers:
        return  # adding a section changes the denominator; compare like with like
    assert instruments.score("odi", worse).total >= before


@given(st.dictionaries(st.integers(1, 24), st.just(1)), st.integers(1, 24))
def test_ticking_one_more_rmdq_statement_never_scores_lower(answers, item):
    assert instruments.score("rmdq", {**answers, item: 1}).total >= \
        instruments.score("rmdq", answers).total


# --- responders (§1) --------------------------------------------------------------------

def test_the_design_example():
    c = responders.change("odi", baseline=40.0, current=28.0)
    assert (c.absolute, c.percent, c.mcid_met, c.direction) == (-12.0, -30.0, True, "improving")


@pytest.mark.parametrize("instrument, baseline, current, met, direction", [
    ("nrs", 6, 4, True, "improving"),       # 2 points
    ("nrs", 8, 7, False, "no_change"),      # 1 point, 12.5 %
    ("nrs", 3, 2, True, "improving"),       # 1 point but 33 %
    ("nrs", 4, 6, True, "worsening"),
    ("odi", 50, 42, False, "no_change"),    # 8 points, 16 %
    ("odi", 20, 30, True, "worsening"),
    ("rmdq", 12, 7, True, "improving"),
    ("peg", 6, 5, True, "improving"),
    ("phq9", 12, 8, False, "no_change"),
    ("phq9", 12, 7, True, "improving"),
    ("psfs", 3, 5, True, "improving"),      # higher is better
    ("psfs", 5, 3, True, "worsening"),
    ("gad7", 12, 2, False, "no_change"),    # no MCID: change only
    ("schober", 3, 5, True, "improving"),   # beyond measurement error 1.8 cm
    ("ffd", 30, 25, False, "no_change"),    # within measurement error 9.8 cm
])
def test_responder_classification(instrument, baseline, current, met, direction):
    c = responders.change(instrument, baseline=baseline, current=current)
    assert (c.mcid_met, c.direction) == (met, direction)


@given(st.sampled_from(sorted(instruments.REGISTRY)), st.floats(0, 100), st.floats(0, 100))
def test_change_never_crashes_and_a_zero_baseline_has_no_percentage(instrument, base, cur):
    c = responders.change(instrument, baseline=base, current=cur)
    assert c.direction in {"improving", "no_change", "worsening"}
    if base == 0:
        assert c.percent is None


def test_overall_status_and_not_improving_at_the_review_point():
    pain = responders.measure_status("nrs", [7, 6.5, 6])
    function = responders.measure_status("odi", [40, 38])
    statuses = {"nrs": pain, "odi": function}
    assert responders.overall_status(statuses) == "no_change"
    assert responders.not_improving(statuses, sessions=6)
    assert not responders.not_improving(statuses, sessions=5)
    better = {"nrs": responders.measure_status("nrs", [7, 4]), "odi": function}
    assert responders.overall_status(better) == "improving"
    assert not responders.not_improving(better, sessions=8)


def test_only_loinc_codes_the_instruments_document_marks_verified_are_shipped():
    verified = {"97909-6", "91349-1", "91350-9", "91351-7", "91352-5", "91340-0", "91348-3",
                "55757-9", "55758-7", "44250-9", "44255-8", "69725-0", "68509-9", "69733-4",
                "69734-2", "69735-9", "69689-8", "69736-7", "70274-6",
                # PHQ-9 (instruments.md §7, L since issue 30): panel, total, items 4-9
                "44249-1", "44261-6", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3",
                "44260-8"}
    shipped = set()
    for inst in instruments.all_instruments():
        shipped |= set(inst.loinc.values())
        shipped |= {item.loinc for item in inst.items if item.loinc}
    assert shipped <= verified
