"""`Patient.objects.visible_one`, the patient pages' written-out read, keeps the rule of
`visible_to` exactly: for every role, every patient, and a missing or absurd id."""

from __future__ import annotations

import pytest

from acuback.accounts.models import Membership, Role
from acuback.patients.models import Patient
from tests.factories import ROLES


def _agrees(user, patient_ids):
    for pk in patient_ids:
        expected = Patient.objects.visible_to(user).filter(pk=pk).first()
        found = Patient.objects.visible_one(user, pk)
        assert found == expected, (user, pk)
        if found is not None:  # every field, and the clinic already attached
            assert [getattr(found, f.attname) for f in Patient._meta.concrete_fields] == [
                getattr(expected, f.attname) for f in Patient._meta.concrete_fields]
            assert Patient.clinic.is_cached(found) and found.clinic == expected.clinic
            assert found.clinic.time_zone == expected.clinic.time_zone


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_the_same_patients_as_visible_to(world, role):
    ids = list(Patient.objects.values_list("pk", flat=True)) + [0, -1, 10**9, 2**63, 10**30]
    _agrees(world.user_for(role), ids)


def test_a_staff_member_who_is_also_a_patient_elsewhere_sees_both(world):
    Membership.objects.create(user=world.front_desk, clinic=world.outsider_patient.clinic,
                              role=Role.PATIENT)
    Patient.objects.filter(pk=world.outsider_patient.pk).update(portal_user=world.front_desk)
    assert Patient.objects.visible_one(world.front_desk, world.outsider_patient.pk) is not None
    _agrees(world.front_desk, Patient.objects.values_list("pk", flat=True))
