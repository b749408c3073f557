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


# --- the written-out writes: the same rows as the ORM's -----------------------------------

def test_insert_writes_what_bulk_create_writes_with_defaults_and_returned_ids(world):
    from acuback.treatment.models import Insertion, NeedleSet
    from tests.factories import make_session

    session = make_session(world.patient, world.practitioner_record, world.location)
    sets = [NeedleSet(session=session, order=1, face_to_face_minutes=15),
            NeedleSet(session=session, order=2, face_to_face_minutes=10, electrical=True)]
    sql.insert(NeedleSet, sets, returning_pk=True)
    assert [s.pk for s in sets] == list(
        NeedleSet.objects.filter(session=session).order_by("order").values_list("pk", flat=True))
    assert not sets[0]._state.adding  # saved instances, as bulk_create leaves them
    stored = NeedleSet.objects.get(pk=sets[1].pk)
    assert (stored.order, stored.face_to_face_minutes, stored.electrical, stored.position) == \
        (2, 10, True, "")  # position: the field's default
    sql.insert(Insertion, [Insertion(session=session, point_code="BL23", side="bilateral",
                                     depth_mm=20, gauge_mm="0.25", length_mm=40, needles=2,
                                     retention_minutes=20)])
    row = Insertion.objects.get(session=session)
    assert (row.point_code, str(row.gauge_mm), row.needles) == ("BL23", "0.25", 2)
    sql.insert(NeedleSet, [])  # nothing to write: no statement


def test_update_changes_only_the_rows_matched_and_converts_values(world):
    from acuback.treatment.models import Session
    from tests.factories import make_session

    session = make_session(world.patient, world.practitioner_record, world.location)
    other = make_session(world.patient, world.practitioner_record, world.location)
    assert sql.update(Session, {"id": session.pk, "version": session.version + 5},
                      {"subjective": "stale"}) == 0  # a version that is not the row's
    changed = sql.update(Session, {"id": session.pk, "version": session.version},
                         {"subjective": "Better since Monday", "adjuncts": ["cupping"],
                          "cpt_codes": {"97810": 1}, "signed_by": world.practitioner})
    assert changed == 1
    session.refresh_from_db()
    assert (session.subjective, session.adjuncts, session.cpt_codes, session.signed_by_id) == \
        ("Better since Monday", ["cupping"], {"97810": 1}, world.practitioner.pk)
    other.refresh_from_db()
    assert other.subjective == "" and other.signed_by_id is None


def test_delete_removes_only_the_rows_matched(world):
    from acuback.treatment.models import NeedleSet
    from tests.factories import make_session

    one, two = (make_session(world.patient, world.practitioner_record, world.location)
                for _ in range(2))
    for session in (one, two):
        NeedleSet.objects.create(session=session, order=1, face_to_face_minutes=15)
    assert sql.delete(NeedleSet, {"session": one}) == 1
    assert not NeedleSet.objects.filter(session=one).exists()
    assert NeedleSet.objects.filter(session=two).count() == 1
