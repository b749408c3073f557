"""Add-on codes need a re-insertion with needles; electrical codes need a stimulated
insertion (coverage-billing.md §2: descriptors of 97811/97814 and 97813/97814)."""

from __future__ import annotations

from datetime import date

from acuback.billing import superbill
from acuback.clinical import cpt
from tests.billing.conftest import visit


def test_a_needle_set_with_no_needles_earns_no_add_on(medicare_patient):
    day = date(2026, 3, 2)
    visit(medicare_patient, day, sets=[(20, False), (15, False), (15, True)],
          needles_per_set=[3, 0, 0])
    bill = superbill.build(patient=medicare_patient.patient, start=day, end=day)
    assert {line.code: line.units for line in bill.lines} == {"97810": 1}


def test_an_electrical_set_with_no_stimulated_needle_is_coded_without(medicare_patient):
    day = date(2026, 3, 2)
    visit(medicare_patient, day, sets=[(20, True), (15, True)], needles_per_set=[2, 2],
          stimulated=[0, 2])
    bill = superbill.build(patient=medicare_patient.patient, start=day, end=day)
    assert {line.code: line.units for line in bill.lines} == {"97810": 1, "97814": 1}


def test_the_rule_reads_the_sites_of_each_set():
    sets = cpt.sets_from_record(
        [{"order": 1, "face_to_face_minutes": 20, "electrical": True},
         {"order": 2, "face_to_face_minutes": 15, "electrical": False}],
        [{"needle_set": 1, "needles": 2, "stimulation": "manual"}])
    assert cpt.codes(sets) == {"97810": 1}
