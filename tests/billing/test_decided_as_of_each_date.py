"""Modifiers and coverage are decided from what was known on each date of service; a
missing reassessment is "not yet reassessed", not "not improving" (NCD 30.3.3 §1.2)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from acuback.billing import superbill
from acuback.clinical import coverage
from acuback.outcomes.models import QuestionnaireResponse
from tests.billing.conftest import visit
from tests.factories import request_for


def score(world, value, on, time_point):
    from acuback.outcomes import services

    response = services.response_save(
        patient=world.patient, episode=world.episode, instrument_id="nrs",
        time_point=time_point, answers={1: value}, submit=True, completed_by="staff",
        request=request_for(world.practitioner))
    moment = response.submitted_at.replace(year=on.year, month=on.month, day=on.day)
    QuestionnaireResponse.objects.filter(pk=response.pk).update(submitted_at=moment)


def modifiers_by_day(world, start, end):
    bill = superbill.build(patient=world.patient, start=start, end=end)
    return [line.modifiers for line in bill.lines]


def test_six_visits_with_only_a_baseline_are_not_yet_reassessed(medicare_patient):
    start = date(2026, 3, 2)
    score(medicare_patient, 7, start, "baseline")
    for i in range(6):
        visit(medicare_patient, start + timedelta(days=7 * i))
    assert modifiers_by_day(medicare_patient, start, start + timedelta(days=60)) == [()] * 6


def test_a_no_change_review_at_visit_eight_does_not_reach_back(medicare_patient):
    start = date(2026, 3, 2)
    score(medicare_patient, 7, start, "baseline")
    days = [start + timedelta(days=7 * i) for i in range(8)]
    for day in days:
        visit(medicare_patient, day)
    score(medicare_patient, 7, days[7], "review")
    got = modifiers_by_day(medicare_patient, start, days[-1])
    assert got[:7] == [()] * 7  # before the review nothing said "not improving"
    assert got[7] == ("GZ",)  # the stop rule from the review on


def test_improvement_documented_later_does_not_rewrite_an_earlier_date(medicare_patient):
    start = date(2026, 1, 5)
    score(medicare_patient, 8, start, "baseline")
    days = [start + timedelta(days=5 * i) for i in range(14)]
    for day in days:
        visit(medicare_patient, day)
    score(medicare_patient, 3, days[13], "review")  # improvement recorded at visit 14
    got = modifiers_by_day(medicare_patient, start, days[-1])
    assert got[12] == ("GZ",) and got[13] == ("KX",)


dates = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@settings(max_examples=200, deadline=None)
@given(visits=st.lists(dates, max_size=30), on=dates,
       scores=st.lists(st.tuples(dates, st.integers(0, 10)), max_size=6),
       later=st.lists(st.tuples(st.integers(1, 400), st.integers(0, 10)), max_size=6))
def test_modifiers_depend_only_on_what_was_known_on_the_date(visits, on, scores, later):
    eligible = coverage.Eligibility(True, ())

    def decide(visit_days, nrs):
        prior = [d for d in visit_days if d < on]
        state = coverage.reassessment_on({"nrs": nrs}, on, visits=len(set(prior)) + 1)
        return coverage.next_visit(prior_visits=visit_days, on=on, eligible=eligible,
                                   improvement_documented=state.improved,
                                   not_improving=state.not_improving)

    before = decide(visits, scores)
    future_visits = visits + [on + timedelta(days=n) for n, _ in later]
    future_scores = scores + [(on + timedelta(days=n), v) for n, v in later]
    assert decide(future_visits, future_scores) == before


def test_a_baseline_alone_is_not_yet_reassessed():
    state = coverage.reassessment_on({"nrs": [(date(2026, 1, 1), 7)]}, date(2026, 3, 1),
                                     visits=10)
    assert state == coverage.NOT_YET_REASSESSED
