"""The helpers for hand-written SQL (acuback.sql), on whichever database the suite runs."""

from __future__ import annotations

from acuback import signing, sql
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
                          "cpt_codes": {"97810": 1}, "created_by": world.admin})
    assert changed == 1
    session.refresh_from_db()
    assert (session.subjective, session.adjuncts, session.cpt_codes, session.created_by_id) == \
        ("Better since Monday", ["cupping"], {"97810": 1}, world.admin.pk)
    other.refresh_from_db()
    assert other.subjective == "" and other.created_by_id != world.admin.pk


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


# --- the written-out reads: the ORM's instances ---------------------------------------------

def _values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_fetch_builds_the_orms_instances_with_their_joined_objects(world):
    from django.utils import timezone

    from acuback.treatment.models import Session
    from tests.factories import make_session

    with signing.signing():  # arranging data signed earlier
        signed = make_session(world.patient, world.practitioner_record, world.location,
                              adjuncts=["cupping"], cpt_codes={"97810": 1}, pain_before=6,
                              status="signed", signed_by=world.practitioner_record.user,
                              signed_at=timezone.now())
    draft = make_session(world.patient, world.practitioner_record, world.location)
    for session in (signed, draft):
        orm = Session.objects.select_related("practitioner", "location", "signed_by").get(
            pk=session.pk)
        found = sql.by_pk(Session, session.pk, related=("practitioner", "location", "signed_by"))
        assert _values(found) == _values(orm)  # JSON, dates, aware times, nulls
        assert _values(found.practitioner) == _values(orm.practitioner)
        assert _values(found.location) == _values(orm.location)
        assert (found.signed_by is None) == (session is draft)  # the empty key's LEFT JOIN
        if found.signed_by is not None:
            assert _values(found.signed_by) == _values(orm.signed_by)
        assert not found._state.adding
    assert type(found.signed_at) is type(orm.signed_at) and found.adjuncts == []
    assert found.electroacupuncture is False  # a bool, not SQLite's 0
    assert found.location.is_active is True
    assert signed.pk != draft.pk and sql.by_pk(Session, draft.pk + signed.pk) is None


def test_fetch_converts_decimals_and_takes_an_ordered_tail(world):
    from decimal import Decimal

    from acuback.treatment.models import Insertion
    from tests.factories import make_session

    session = make_session(world.patient, world.practitioner_record, world.location)
    sql.insert(Insertion, [Insertion(session=session, point_code=code, side="left",
                                     depth_mm=depth, gauge_mm="0.25", length_mm=40, needles=1,
                                     retention_minutes=20)
                           for code, depth in (("GB30", "35.5"), ("BL23", "20"))])
    found = sql.fetch(Insertion, "t0.session_id = %s", [session.pk], tail="ORDER BY t0.id")
    orm = list(Insertion.objects.filter(session=session).order_by("pk"))
    assert [_values(i) for i in found] == [_values(i) for i in orm]
    assert found[0].depth_mm == Decimal("35.5") and isinstance(found[0].gauge_mm, Decimal)
    assert sql.fetch(Insertion, "t0.session_id = %s", [0]) == []


def test_save_inserts_a_new_instance_and_updates_every_field_of_a_stored_one(world):
    from datetime import timedelta

    from acuback.treatment.models import Session
    from tests.factories import make_session

    stored = make_session(world.patient, world.practitioner_record, world.location)
    before = stored.updated_at
    copy = Session.objects.get(pk=stored.pk)
    copy.pk, copy._state.adding, copy.subjective = None, True, "copied"
    sql.save(copy)  # new: INSERTed, with its id
    assert copy.pk and copy.pk != stored.pk and not copy._state.adding
    assert Session.objects.get(pk=copy.pk).subjective == "copied"
    stored.subjective, stored.pain_before = "Worse on waking.", 7
    stored.updated_at = before - timedelta(days=1)  # auto_now: the save sets it to now
    sql.save(stored)
    again = Session.objects.get(pk=stored.pk)
    assert (again.subjective, again.pain_before) == ("Worse on waking.", 7)
    assert again.updated_at >= before and again.updated_at == stored.updated_at
    assert Session.objects.get(pk=copy.pk).subjective == "copied"  # only the row saved


def test_insert_with_update_conflicts_replaces_the_row_holding_the_unique_values(world):
    from acuback.outcomes.models import EpisodeMeasure
    from tests.factories import make_episode

    episode, other = (make_episode(world.patient, world.practitioner) for _ in range(2))
    sql.insert(EpisodeMeasure, [EpisodeMeasure(episode=episode, instrument="nrs", latest=6),
                                EpisodeMeasure(episode=other, instrument="nrs", latest=5)])
    sql.insert(EpisodeMeasure, [EpisodeMeasure(episode=episode, instrument="nrs", latest=3,
                                               baseline=7)],
               update_conflicts=("episode", "instrument"))
    rows = {m.episode_id: (m.latest, m.baseline) for m in EpisodeMeasure.objects.all()}
    assert rows == {episode.pk: (3, 7), other.pk: (5, None)}


def test_fetch_with_only_reads_those_fields_and_defers_the_rest(world):
    from acuback.treatment.models import Session
    from tests.factories import make_session

    session = make_session(world.patient, world.practitioner_record, world.location,
                           subjective="Stiff in the morning.", cpt_codes={"97810": 1})
    [found] = sql.fetch(Session, "t0.id = %s", [session.pk],
                        only=("episode_id", "session_date", "cpt_codes"))
    assert found.get_deferred_fields() >= {"subjective", "status", "signed_at"}
    assert "cpt_codes" not in found.get_deferred_fields()
    assert (found.pk, found.episode_id, found.session_date, found.cpt_codes) == (
        session.pk, session.episode_id, session.session_date, {"97810": 1})  # JSON converted
    assert found.subjective == "Stiff in the morning."  # a deferred field, read when used
