"""How the 90-day window and the annual limit are counted is a setting of the payer
(Medicare default: at most 12 visits in any 90 days; the year by Medicare's 11-month
convention), and the day view's flags use the same engine (issue #27 §1)."""

from __future__ import annotations

from datetime import date, timedelta

from acuback.billing import superbill
from acuback.billing.models import Payer
from acuback.billing.selectors import coverage_flags
from acuback.clinical import coverage
from tests.billing.conftest import visit

JANUARY = [date(2026, 1, 5) + timedelta(days=5 * i) for i in range(5)]
JULY = date(2026, 7, 6)


def modifiers(world, day):
    return [line.modifiers for line in
            superbill.build(patient=world.patient, start=day, end=day).lines]


def test_a_return_in_july_after_five_january_visits_is_covered(medicare_patient):
    for day in [*JANUARY, JULY]:
        visit(medicare_patient, day)
    assert modifiers(medicare_patient, JULY) == [()]


def test_a_payer_that_anchors_the_window_on_the_first_visit_expects_denial(medicare_patient):
    Payer.objects.filter(pk=medicare_patient.payer.pk).update(window_anchor="first_visit")
    for day in [*JANUARY, JULY]:
        visit(medicare_patient, day)
    assert modifiers(medicare_patient, JULY) == [("GZ",)]


def test_thirteen_visits_in_ninety_days_is_over_the_rolling_limit():
    days = [date(2026, 1, 5) + timedelta(days=6 * i) for i in range(12)]
    decision = coverage.next_visit(prior_visits=days, on=days[-1] + timedelta(days=1),
                                   eligible=coverage.Eligibility(True, ()),
                                   improvement_documented=True, not_improving=False)
    assert decision.ordinal == 13 and decision.modifiers == ("KX",)  # the extension
    assert coverage.MEDICARE.window_anchor == coverage.WindowAnchor.ROLLING


def test_the_day_view_counts_the_payers_year(medicare_patient):
    Payer.objects.filter(pk=medicare_patient.payer.pk).update(year_convention="calendar")
    for i in range(20):  # twenty visits in the autumn of 2025
        visit(medicare_patient, date(2025, 9, 1) + timedelta(days=4 * i))
    # A calendar-year payer starts again on 1 January: no flag, though 20 visits fell in
    # the last 365 days.
    assert coverage_flags(patient_ids=[medicare_patient.patient.pk],
                          on=date(2026, 1, 12)) == {}
    Payer.objects.filter(pk=medicare_patient.payer.pk).update(
        year_convention="medicare_11_months")
    flags = coverage_flags(patient_ids=[medicare_patient.patient.pk], on=date(2026, 1, 12))
    assert "over the annual cap" in flags[medicare_patient.patient.pk]
