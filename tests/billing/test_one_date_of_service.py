"""One date of service: codes per patient per date (one initial code, never 97810 with
97813), and visits counted per date (coverage-billing.md §2; NCD 30.3.3 visits)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from acuback.billing import superbill
from acuback.billing.selectors import coverage_flags, coverage_status
from acuback.clinical import cpt
from tests.billing.conftest import visit


def test_two_sessions_on_one_day_are_one_visit_with_one_initial_code(medicare_patient):
    day = date(2026, 3, 2)
    visit(medicare_patient, day, sets=[(20, False)])
    visit(medicare_patient, day, sets=[(20, True)])
    bill = superbill.build(patient=medicare_patient.patient, start=day, end=day)
    codes = {line.code: line.units for line in bill.lines}
    assert codes == {"97810": 1, "97814": 1}  # the second session's set is a re-insertion
    status = coverage_status(patient=medicare_patient.patient, on=day + timedelta(days=1))
    assert status.label == "Medicare · visit 2" and status.used == 1


def test_visits_are_counted_per_date_for_the_day_view_flags(medicare_patient):
    start = date(2026, 3, 2)
    for i in range(7):  # 7 days, two sessions each: 7 visits, not 14
        visit(medicare_patient, start + timedelta(days=i))
        visit(medicare_patient, start + timedelta(days=i))
    flags = coverage_flags(patient_ids=[medicare_patient.patient.pk],
                           on=start + timedelta(days=8))
    assert medicare_patient.patient.pk not in flags


needle_sets = st.lists(st.builds(cpt.NeedleSet, minutes=st.integers(0, 60),
                                 electrical=st.booleans(), needles=st.integers(0, 4),
                                 stimulated=st.none() | st.integers(0, 4)), max_size=8)


@given(sessions=st.lists(needle_sets, max_size=4))
def test_one_initial_code_per_date_of_service(sessions):
    codes = cpt.codes([s for session in sessions for s in session])
    initial = [c for c in codes if c in cpt.INITIAL_CODES]
    assert len(initial) <= 1 and all(codes[c] == 1 for c in initial)
    assert not ({"97811", "97814"} & set(codes)) or initial  # an add-on needs its initial
