"""Signed clinical rows and audit events refuse DELETE in the database itself, on SQLite
and PostgreSQL, whatever the write path (issue #25 §8: a raw DELETE of a signed session
and its needle rows succeeded while an UPDATE was refused)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from acuback import row_guards
from acuback.audit.models import AuditEvent
from acuback.audit.services import audit_record
from acuback.patients.models import Consent
from acuback.screening.models import Acknowledgement, ReferralClearance, Screening
from acuback.treatment import services
from acuback.treatment.models import Addendum, Insertion, NeedleSet, Session
from tests.factories import make_consent, make_signed_screening, request_for
from tests.treatment.conftest import ready  # noqa: F401 (fixture)
from tests.treatment.test_sessions import save, sign, site, start


def sql(statement: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def refused(statement: str, params) -> bool:
    try:
        with transaction.atomic():
            sql(statement, params)
    except (IntegrityError, DatabaseError):
        return True
    return False


@pytest.fixture
def signed(ready):  # noqa: F811
    session = sign(ready, save(ready, start(ready), [site("BL23")], removed=2))
    services.addendum_add(session=session, text="Bruise at BL23.",
                          request=request_for(ready.practitioner))
    ready.session = session
    return ready


def test_a_signed_session_and_its_needle_rows_refuse_a_raw_delete(signed):  # noqa: F811
    pk = signed.session.pk
    for table, column in (("treatment_insertion", "session_id"),
                          ("treatment_needleset", "session_id"),
                          ("treatment_addendum", "session_id"),
                          ("treatment_session", "id")):
        assert refused(f"DELETE FROM {table} WHERE {column} = %s", [pk]), table  # noqa: S608
    assert Insertion.objects.filter(session_id=pk).count() == 1
    assert NeedleSet.objects.filter(session_id=pk).exists()
    assert Session.objects.filter(pk=pk, status="signed").exists()
    assert Addendum.objects.filter(session_id=pk).exists()


def test_the_orm_cannot_delete_them_either(signed):  # noqa: F811
    for attempt in (lambda: Insertion.objects.filter(session=signed.session).delete(),
                    lambda: Addendum.objects.filter(session=signed.session).delete()):
        with pytest.raises(IntegrityError), transaction.atomic():
            attempt()
    assert signed.session.insertions.exists() and signed.session.addenda.exists()


def test_an_addendum_refuses_an_update(signed):  # noqa: F811
    assert refused("UPDATE treatment_addendum SET text = %s WHERE session_id = %s",
                   ["rewritten", signed.session.pk])


def test_a_draft_session_can_still_be_deleted_with_its_rows(ready):  # noqa: F811
    session = save(ready, start(ready), [site("BL23")], removed=2)
    with transaction.atomic():
        Insertion.objects.filter(session=session).delete()
        NeedleSet.objects.filter(session=session).delete()
        Session.objects.filter(pk=session.pk).delete()
    assert not Session.objects.filter(pk=session.pk).exists()


def test_a_signed_screening_and_its_clearances_refuse_a_raw_delete(world):
    screening = make_signed_screening(world.patient, world.practitioner, saddle_numbness=True,
                                      referred_to="Emergency department",
                                      patient_told="Go to the ED now.")
    ReferralClearance.objects.create(screening=screening, kind="medical_clearance", note="Seen in ED.",
                                     recorded_by=world.practitioner)
    Acknowledgement.objects.create(screening=screening, text="Precaution read.",
                                   acknowledged_by=world.practitioner)
    for table in ("screening_referralclearance", "screening_acknowledgement"):
        assert refused(f"DELETE FROM {table} WHERE screening_id = %s",  # noqa: S608
                       [screening.pk]), table
    assert refused("DELETE FROM screening_screening WHERE id = %s", [screening.pk])
    assert Screening.objects.filter(pk=screening.pk, status="signed").exists()


def test_a_draft_screening_can_be_deleted(world):
    from acuback.screening import services as screening_services
    from tests.factories import make_episode

    draft = screening_services.screening_start(
        episode=make_episode(world.patient, world.practitioner), kind="intake",
        request=request_for(world.practitioner))
    assert not refused("DELETE FROM screening_screening WHERE id = %s", [draft.pk])


def test_a_consent_signature_refuses_a_raw_delete(world):
    consent = make_consent(world.patient, world.practitioner)
    assert refused("DELETE FROM patients_consent WHERE id = %s", [consent.pk])
    assert Consent.objects.filter(pk=consent.pk).exists()


def test_an_audit_event_refuses_a_raw_update_and_delete(world):
    event = audit_record(request=request_for(world.practitioner), action="test.kept",
                         patient=world.patient)
    assert refused("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["x", event.pk])
    assert refused("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert refused("DELETE FROM audit_auditevent", [])
    assert AuditEvent.objects.filter(pk=event.pk, action="test.kept").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncate_is_refused_on_postgresql(world):
    for guard in row_guards.all_guards():
        assert refused(f"TRUNCATE {guard.table} CASCADE", []), guard.table


def test_every_guard_is_in_place_after_all_migrations(db):
    """A migration that rebuilds a guarded table on SQLite drops its triggers: it must
    create them again (acuback.row_guards)."""
    if connection.vendor == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    with connection.cursor() as cursor:
        cursor.execute(query)
        present = {row[0] for row in cursor.fetchall()}
    expected = {name for guard in row_guards.all_guards()
                for name in row_guards.trigger_names(guard, connection.vendor)}
    assert expected - present == set()
    assert {g.table for g in row_guards.all_guards()} <= set(
        connection.introspection.table_names())


def test_no_setting_turns_the_guards_off():
    from pathlib import Path

    text = Path(row_guards.__file__).read_text(encoding="utf-8")
    assert "settings" not in text.replace("no setting", "") and "environ" not in text


# --- the rest of the clinical record (issue #25 re-test, point 3) --------------------------

def _response(world, submit: bool):
    from acuback.outcomes import services as outcomes
    from tests.factories import make_episode

    episode = make_episode(world.patient, world.practitioner)
    return outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                                  time_point="baseline", answers={1: 7}, submit=submit,
                                  completed_by="staff", request=request_for(world.practitioner))


def test_an_adverse_event_refuses_a_raw_delete(world):
    from acuback.treatment.models import AdverseEvent
    from tests.factories import make_adverse_event

    event = make_adverse_event(world.patient, world.practitioner, severity="serious")
    assert refused("DELETE FROM treatment_adverseevent WHERE id = %s", [event.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        AdverseEvent.objects.filter(pk=event.pk).delete()
    assert AdverseEvent.objects.filter(pk=event.pk).exists()


def test_a_submitted_response_refuses_a_raw_delete_and_a_draft_does_not(world):
    from acuback.outcomes.models import QuestionnaireResponse

    submitted = _response(world, submit=True)
    assert refused("DELETE FROM outcomes_questionnaireresponse WHERE id = %s", [submitted.pk])
    assert QuestionnaireResponse.objects.filter(pk=submitted.pk).exists()
    draft = _response(world, submit=False)
    assert not refused("DELETE FROM outcomes_questionnaireresponse WHERE id = %s", [draft.pk])


def test_a_consent_form_text_signed_against_refuses_a_raw_delete(world):
    from acuback.patients.models import ConsentForm

    consent = make_consent(world.patient, world.practitioner)
    assert refused("DELETE FROM patients_consentform WHERE id = %s", [consent.form_id])
    assert ConsentForm.objects.filter(pk=consent.form_id).exists()
    unsigned = ConsentForm.objects.create(clinic=world.clinic, kind="treatment", version="9",
                                          title="Draft text", body="Never shown.",
                                          is_current=False)
    assert not refused("DELETE FROM patients_consentform WHERE id = %s", [unsigned.pk])


def test_patients_episodes_plans_alerts_and_correction_requests_refuse_a_raw_delete(world):
    from acuback.outcomes.models import OutcomeAlert
    from acuback.patients.models import CorrectionRequest
    from tests.factories import make_episode

    episode = make_episode(world.patient, world.practitioner)
    request = CorrectionRequest.objects.create(patient=world.patient, text="Wrong birth date.")
    alert = OutcomeAlert.objects.create(patient=world.patient, kind="self_harm")
    rows = [("patients_correctionrequest", request.pk), ("outcomes_outcomealert", alert.pk),
            ("patients_episodeofcare", episode.pk), ("patients_patient", world.other_patient.pk)]
    for table, pk in rows:
        assert refused(f"DELETE FROM {table} WHERE id = %s", [pk]), table  # noqa: S608
    assert CorrectionRequest.objects.filter(pk=request.pk).exists()


# Tables of the clinical apps that hold no clinical record of their own, and why.
NOT_A_RECORD = {
    "outcomes_episodemeasure": "figures computed from the responses, recomputed at will",
    "outcomes_collectionlink": "an invitation; a response keeps who invited it, and "
                               "PROTECT keeps a link a response came through",
    "outcomes_instrumenttext": "a clinic's wording of an instrument (a setting)",
    "outcomes_outcomeschedule": "a clinic's questionnaire schedule (a setting)",
}


def test_every_table_of_the_clinical_record_is_guarded():
    """A new clinical model must get a guard (acuback.row_guards) or a reason here."""
    from django.apps import apps

    guarded = {g.table for g in row_guards.all_guards()}
    tables = {m._meta.db_table for label in ("patients", "screening", "treatment", "outcomes")
              for m in apps.get_app_config(label).get_models()}
    assert tables - guarded - set(NOT_A_RECORD) == set()
