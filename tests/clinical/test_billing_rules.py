"""CPT units and Medicare NCD 30.3.3 against coverage-billing.md."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical import coverage, cpt

# --- CPT (§2) ---------------------------------------------------------------------------


def test_the_design_example():
    assert cpt.codes([(15, False), (15, True)]) == {"97810": 1, "97814": 1}


@pytest.mark.parametrize("sets, expected", [
    ([(30, False)], {"97810": 1}),                       # retention/contact without re-insertion
    ([(15, True)], {"97813": 1}),
    ([(15, True), (15, False)], {"97813": 1, "97811": 1}),  # add-ons may sit under either initial
    ([(20, False), (15, False), (16, False)], {"97810": 1, "97811": 2}),
    ([(10, False), (15, True)], {"97813": 1}),           # a short first set does not count
    ([(14, False)], {}),
    ([], {}),
])
def test_worked_cases(sets, expected):
    assert cpt.codes(sets) == expected


def test_the_minimum_minutes_are_payer_data():
    assert cpt.codes([(8, False), (8, False)], min_minutes=8) == {"97810": 1, "97811": 1}


def test_estim_codes_are_impossible_when_ea_is_blocked():
    with pytest.raises(ValueError, match="blocked"):
        cpt.codes([(15, True)], estim_allowed=False)
    assert cpt.codes([(15, False)], estim_allowed=False) == {"97810": 1}


@pytest.mark.parametrize("bad", [-1, 1.5, "15", True])
def test_bad_minutes_are_refused(bad):
    with pytest.raises(ValueError):
        cpt.codes([(bad, False)])


@given(st.lists(st.tuples(st.integers(0, 90), st.booleans()), max_size=8))
def test_units_never_exceed_quarter_hours_or_sets_and_one_initial_code(sets):
    result = cpt.codes(sets)
    units = sum(result.values())
    assert units <= sum(m for m, _ in sets) // 15
    assert units <= len(sets)
    assert not ("97810" in result and "97813" in result)
    assert result.get("97810", 0) + result.get("97813", 0) <= 1


def test_em_only_at_the_first_visit_and_re_evaluations():
    assert cpt.em_allowed(first_visit=True, re_evaluation=False)
    assert not cpt.em_allowed(first_visit=False, re_evaluation=False)


# --- NCD 30.3.3 (§1, §3) ------------------------------------------------------------------

COVERED = frozenset({"M54.50", "M54.59"})
ELIGIBLE = coverage.eligibility(duration_weeks=20, specific_cause=False, related_to_surgery=False,
                                related_to_pregnancy=False, diagnosis_codes=["M54.50"],
                                covered_codes=COVERED, practitioner_eligible=True)
START = date(2026, 1, 5)


def weekly(n: int) -> list[date]:
    return [START + timedelta(days=7 * i) for i in range(n)]


def test_a_chronic_nonspecific_episode_is_eligible():
    assert ELIGIBLE.eligible


@pytest.mark.parametrize("changes, fragment", [
    ({"duration_weeks": 11}, "lasting 12 weeks or more"),
    ({"related_to_pregnancy": True}, "pregnancy"),
    ({"related_to_surgery": True}, "surgery"),
    ({"specific_cause": True}, "specific cause"),
    ({"diagnosis_codes": ["G83.4"]}, "not on the NCD 30.3.3 list"),
])
def test_not_eligible_with_the_reason(changes, fragment):
    args = {"duration_weeks": 20, "specific_cause": False, "related_to_surgery": False,
                "related_to_pregnancy": False, "diagnosis_codes": ["M54.50"], "covered_codes": COVERED,
                "practitioner_eligible": True} | changes
    result = coverage.eligibility(**args)
    assert not result.eligible and any(fragment in r for r in result.reasons)


def test_an_unloaded_ncd_list_holds_rather_than_denies():
    args = {"duration_weeks": 20, "specific_cause": False, "related_to_surgery": False,
            "related_to_pregnancy": False, "diagnosis_codes": ["M54.50"],
            "covered_codes": None, "practitioner_eligible": True}
    result = coverage.eligibility(**args)
    assert result.eligible and result.reasons == ()
    assert any("configure the CMS NCD 30.3.3 diagnosis list" in r for r in result.held)


def decide(prior, on, **kw):
    args = {"eligible": ELIGIBLE, "improvement_documented": False, "not_improving": False} | kw
    return coverage.next_visit(prior_visits=prior, on=on, **args)


def test_visits_1_to_12_within_90_days_are_covered_without_modifier():
    d = decide(weekly(11), START + timedelta(days=80))
    assert (d.ordinal, d.covered, d.modifiers) == (12, True, ())


def test_visit_13_without_improvement_is_refused_with_the_reason():
    d = decide(weekly(12), START + timedelta(days=85))
    assert d.ordinal == 13 and not d.covered and d.modifiers == ("GZ",)
    assert "need documented improvement" in d.reasons[0]
    assert decide(weekly(12), START + timedelta(days=85), abn_signed=True).modifiers == ("GA",)


def test_visit_13_with_improvement_is_covered_with_kx():
    d = decide(weekly(12), START + timedelta(days=85), improvement_documented=True)
    assert (d.covered, d.modifiers) == (True, ("KX",))


def test_visit_21_in_a_year_is_refused():
    d = decide(weekly(20), START + timedelta(days=150), improvement_documented=True)
    assert d.ordinal == 21 and not d.covered and "no more than 20 a year" in d.reasons[0]


def test_a_new_coverage_year_starts_the_count_again():
    # Medicare convention: first service 5 Jan 2026 -> next year from 1 Jan 2027.
    d = decide(weekly(20), date(2027, 1, 4), improvement_documented=True)
    assert d.ordinal == 1 and d.covered


def test_the_initial_visits_must_fall_in_90_days_where_the_payer_reads_it_so():
    first_visit = coverage.NcdRule(window_anchor=coverage.WindowAnchor.FIRST_VISIT)
    d = decide(weekly(3), START + timedelta(days=120), rule=first_visit)
    assert not d.covered and "within 90 days" in d.reasons[0]


def test_not_improving_means_stop():
    d = decide(weekly(4), START + timedelta(days=30), not_improving=True)
    assert not d.covered and "stopping" in d.reasons[0]


def test_an_ineligible_episode_is_not_covered():
    ineligible = coverage.eligibility(duration_weeks=4, specific_cause=False,
                                      related_to_surgery=False, related_to_pregnancy=True,
                                      diagnosis_codes=["M54.50"], covered_codes=COVERED,
                                      practitioner_eligible=True)
    assert not decide([], START, eligible=ineligible).covered


def test_another_indication_takes_the_configured_modifier():
    d = decide([], START, indication_is_clbp=False)
    assert d.modifiers == ("GY",) and not d.covered


@pytest.mark.parametrize("mods, ok", [(("KX",), True), (("GA",), True), (("GA", "GZ"), False),
                                      (("KX", "GA"), False), (("KX", "GY"), False)])
def test_modifier_exclusivity(mods, ok):
    assert (coverage.check_modifiers(mods) == []) is ok


@pytest.mark.parametrize("first, on, start", [
    (date(2020, 3, 21), date(2021, 2, 28), date(2020, 3, 21)),
    (date(2020, 3, 21), date(2021, 3, 1), date(2021, 3, 1)),   # PriorityHealth's example
    (date(2020, 3, 21), date(2022, 3, 15), date(2022, 3, 1)),
])
def test_the_medicare_year_convention(first, on, start):
    assert coverage.coverage_year_start(first, on) == start


def test_other_year_conventions_are_configurable():
    assert coverage.coverage_year_start(date(2020, 3, 21), date(2021, 3, 10),
                                        coverage.YearConvention.CALENDAR) == date(2021, 1, 1)
    assert coverage.coverage_year_start(date(2020, 3, 21), date(2021, 3, 10),
                                        coverage.YearConvention.TWELVE_MONTHS) == \
        date(2020, 3, 21)


@pytest.mark.parametrize("facts, ok", [
    (coverage.RenderingFacts("physician", True), True),
    (coverage.RenderingFacts("chiropractor", True), False),
    (coverage.RenderingFacts("auxiliary", False, (coverage.Degree("masters", "acupuncture",
                                                                  "ACAHM"),), True, True), True),
    (coverage.RenderingFacts("auxiliary", False, (coverage.Degree("masters", "acupuncture",
                                                                  "ACAHM"),), True, False), False),
    (coverage.RenderingFacts("np", False, (coverage.Degree("bachelors", "acupuncture",
                                                           "ACAOM"),), True), False),
])
def test_who_may_furnish(facts, ok):
    assert coverage.rendering_eligible(facts).eligible is ok


@given(st.lists(st.dates(date(2025, 1, 1), date(2026, 12, 31)), max_size=30),
       st.dates(date(2025, 1, 1), date(2026, 12, 31)), st.booleans(), st.booleans())
def test_decisions_are_consistent(prior, on, improved, abn):
    d = coverage.next_visit(prior_visits=prior, on=on, eligible=ELIGIBLE,
                            improvement_documented=improved, not_improving=False,
                            abn_signed=abn)
    assert coverage.check_modifiers(d.modifiers) == []
    assert d.covered == (not d.reasons)
    if d.ordinal > 20:
        assert not d.covered
    if d.covered and d.ordinal > 12:
        assert d.modifiers == ("KX",)


def test_commercial_plan_limits():
    limit = coverage.PlanLimit(visits=10, period="calendar_year")
    assert coverage.plan_visits_left(limit, weekly(4), date(2026, 6, 1)) == 6
    rolling = coverage.PlanLimit(visits=6, period="rolling_days", rolling_days=30)
    # 26 Jan, 2, 9, 16 and 23 Feb fall in the 30 days before 24 Feb: 6 - 5 = 1
    assert coverage.plan_visits_left(rolling, weekly(8), START + timedelta(days=50)) == 1
