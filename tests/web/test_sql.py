"""The helpers for hand-written SQL (acuback.sql), on whichever database the suite runs."""

from __future__ import annotations

from acuback import sql
from acuback.patients.models import Patient


def test_id_in_matches_exactly_the_ids_given(world):
    wanted = [world.patient.pk, world.other_patient.pk]
    condition, params = sql.id_in("id", wanted)
    found = {pk for (pk,) in sql.rows(f"SELECT id FROM patients_patient WHERE {condition}",  # noqa: S608
                                      params)}
    assert found == set(wanted)


def test_id_in_with_no_ids_matches_nothing(world):
    condition, params = sql.id_in("id", [])
    assert sql.rows(f"SELECT id FROM patients_patient WHERE {condition}",  # noqa: S608
                    params) == []


def test_the_orm_lookup_takes_any_collection_of_ids_and_a_foreign_key(world):
    ids = {world.patient.pk, world.outsider_patient.pk}
    assert set(Patient.objects.filter(pk__id_in=ids).values_list("pk", flat=True)) == ids
    assert not Patient.objects.filter(pk__id_in=iter(())).exists()
    in_clinic = set(Patient.objects.filter(clinic=world.clinic).values_list("pk", flat=True))
    assert world.patient.pk in in_clinic and world.outsider_patient.pk not in in_clinic
    assert set(Patient.objects.filter(clinic__id_in=[world.clinic.pk]).values_list(
        "pk", flat=True)) == in_clinic
