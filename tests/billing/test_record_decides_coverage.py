"""The record decides coverage: an open specific-cause red flag, or pregnancy on the
screening, means the pain is not the NCD's "nonspecific chronic low back pain" that is not
associated with pregnancy (NCD 30.3.3; coverage-billing.md §1.1)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from acuback.billing import superbill
from tests.billing.conftest import visit
from tests.factories import make_signed_screening


def lines_today(world):
    today = timezone.localdate()
    visit(world, today)
    return superbill.build(patient=world.patient, start=today, end=today).lines


def test_an_open_specific_cause_red_flag_is_not_covered(medicare_patient):
    make_signed_screening(medicare_patient.patient, medicare_patient.practitioner,
                          episode=medicare_patient.episode, history_of_cancer=True,
                          new_episode=True, referred_to="GP", patient_told="See your GP.")
    [line] = lines_today(medicare_patient)
    assert line.modifiers == ("GZ",)
    assert any("specific cause" in r for r in line.reasons)


def test_pregnancy_on_the_screening_is_pregnancy_associated(medicare_patient):
    make_signed_screening(medicare_patient.patient, medicare_patient.practitioner,
                          episode=medicare_patient.episode, pregnant=True,
                          sex_at_birth="female")
    [line] = lines_today(medicare_patient)
    assert line.modifiers == ("GZ",) and any("pregnancy" in r for r in line.reasons)


def test_a_screening_signed_after_the_date_does_not_reach_back(medicare_patient):
    earlier = timezone.localdate() - timedelta(days=7)
    visit(medicare_patient, earlier)
    make_signed_screening(medicare_patient.patient, medicare_patient.practitioner,
                          episode=medicare_patient.episode, pregnant=True,
                          sex_at_birth="female")
    [line] = superbill.build(patient=medicare_patient.patient, start=earlier,
                             end=earlier).lines
    assert line.modifiers == ()


def test_a_clean_screening_stays_covered(medicare_patient):
    make_signed_screening(medicare_patient.patient, medicare_patient.practitioner,
                          episode=medicare_patient.episode)
    [line] = lines_today(medicare_patient)
    assert line.modifiers == () and line.reasons == ()
