"""Sessions through the service: the safety gate, reconciliation, signing, immutability."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from acuback import signing
from acuback.clinical import cpt
from acuback.clinical.safety import Device
from acuback.screening.enforcement import NeedlingRefused
from acuback.treatment import services
from acuback.treatment.models import AdverseEvent, Insertion, NeedleSet, Session
from tests.factories import make_practitioner, make_signed_screening, request_for

SET1 = [{"order": 1, "position": "prone", "face_to_face_minutes": 15, "electrical": False}]


def site(code="BL23", side="bilateral", **extra):
    row = services._from_plan({"code": code, "side": side})
    row.update(extra)
    return row


def start(world, practitioner=None):
    return services.session_start(episode=world.episode,
                                  practitioner=practitioner or world.practitioner_record,
                                  location=world.location, request=request_for(world.practitioner))


def save(world, session, insertions, needle_sets=SET1, removed=0, user=None, version=None):
    session.refresh_from_db()
    return services.session_save(
        session=session, data={"needles_removed": removed, "pain_before": 6, "pain_after": 3},
        insertions=insertions, needle_sets=needle_sets,
        expected_version=session.version if version is None else version,
        request=request_for(user or world.practitioner))


def sign(world, session):
    session.refresh_from_db()
    return services.session_sign(session=session, expected_version=session.version,
                                 request=request_for(world.practitioner))


def test_a_session_is_saved_with_its_needle_count(ready):
    session = save(ready, start(ready), [site("BL23"), site("GV4", "midline")])
    assert session.needles_inserted == 3
    assert Insertion.objects.filter(session=session).count() == 2
    assert session.pre_treatment_check == ready.intake


@pytest.mark.parametrize("kind", ["pacemaker", "icd"])
def test_estim_with_an_implanted_device_is_refused(ready, kind):
    make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                          devices=(Device(kind, "chest"),))
    session = start(ready)
    with pytest.raises(NeedlingRefused) as excinfo:
        save(ready, session, [site(stimulation="electrical", frequency_hz=2, paired_with="BL25"),
                              site("BL25")], needle_sets=[{**SET1[0], "electrical": True}])
    assert any("Implanted electrical device" in p for p in excinfo.value.problems)
    assert not Insertion.objects.filter(session=session).exists()


def test_a_blocked_point_in_pregnancy_is_refused(ready):
    screening = make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                                      pregnant=True, gestational_weeks=14)
    from acuback.screening import services as screening_services

    screening_services.precautions_acknowledge(
        screening=screening, texts=screening.decision["acknowledgements"],
        request=request_for(ready.practitioner))
    session = start(ready)
    with pytest.raises(NeedlingRefused) as excinfo:
        save(ready, session, [site("SP6")])
    assert any(p.startswith("SP6 (Sanyinjiao) is blocked for this patient: Pregnancy")
               for p in excinfo.value.problems)
    assert save(ready, session, [site("LR3")]).needles_inserted == 2


def test_a_practitioner_with_an_expired_licence_cannot_start_a_session(ready):
    lapsed = make_practitioner(ready.clinic, expires_in_days=-3)
    with pytest.raises(NeedlingRefused) as excinfo:
        start(ready, practitioner=lapsed)
    assert any("not cleared to needle" in p for p in excinfo.value.problems)
    assert not Session.objects.exists()


def test_no_session_without_a_treatment_consent(world):
    world.episode = make_signed_screening(world.patient, world.practitioner).episode
    with pytest.raises(NeedlingRefused) as excinfo:
        start(world)
    assert "No signed treatment consent is in force." in excinfo.value.problems


def test_needles_removed_above_inserted_is_refused(ready):
    session = start(ready)
    with pytest.raises(services.TreatmentError, match=r"removed \(3\) cannot be more"):
        save(ready, session, [site("BL23")], removed=3)


def test_signing_needs_every_needle_accounted_for(ready):
    session = save(ready, start(ready), [site("BL23"), site("BL40")], removed=3)
    with pytest.raises(services.TreatmentError, match="does not reconcile: 4 inserted, 3"):
        sign(ready, session)
    services.needle_incident_record(session=session, description="BL40 right not found; "
                                    "couch and clothing searched.", severity="minor",
                                    request=request_for(ready.practitioner))
    signed = sign(ready, session)
    assert signed.is_signed
    event = AdverseEvent.objects.get(session=session)
    assert event.type == "retained_needle"


def test_a_reconciled_session_signs(ready):
    session = save(ready, start(ready), [site("BL23")], removed=2)
    assert sign(ready, session).is_signed


def test_signing_records_when_the_note_last_changed(ready):
    """A signature changes the FHIR Encounter and Procedure (status, CPT codes): the row's
    updated_at moves with it, so _lastUpdated and $export's _since find it (issue #30 §4)."""
    from datetime import timedelta

    session = save(ready, start(ready), [site("BL23")], removed=2)
    earlier = timezone.now() - timedelta(days=2)
    Session.objects.filter(pk=session.pk).update(updated_at=earlier)  # a draft: allowed
    sign(ready, session)
    session.refresh_from_db()
    assert session.is_signed and session.updated_at > earlier


def test_only_the_treating_practitioner_signs(ready):
    from tests.factories import make_user

    other_user = make_user(ready.clinic, "practitioner")
    session = save(ready, start(ready), [site("BL23")], removed=2)
    with pytest.raises(services.TreatmentError, match="Only the practitioner who gave"):
        services.session_sign(session=session, expected_version=session.version,
                              request=request_for(other_user))


def test_a_stale_save_is_a_conflict_not_an_overwrite(ready):
    session = start(ready)
    version = session.version
    save(ready, session, [site("BL23")], version=version)
    with pytest.raises(services.StaleDraft):
        save(ready, session, [site("GV4", "midline")], version=version)
    assert list(session.insertions.values_list("point_code", flat=True)) == ["BL23"]


def test_a_signed_session_is_refused_by_the_service(ready):
    session = sign(ready, save(ready, start(ready), [site("BL23")], removed=2))
    with pytest.raises(services.TreatmentError, match="signed and cannot be changed"):
        save(ready, session, [site("GV4", "midline")])


def test_a_signed_session_is_refused_by_the_database_too(ready):
    session = sign(ready, save(ready, start(ready), [site("BL23")], removed=2))
    attempts = [
        lambda: Session.objects.filter(pk=session.pk).update(subjective="rewritten"),
        lambda: Session.objects.filter(pk=session.pk).update(status="draft"),
        lambda: Insertion.objects.filter(session=session).update(depth_mm=Decimal("99")),
        lambda: NeedleSet.objects.filter(session=session).update(face_to_face_minutes=60),
        lambda: Insertion.objects.create(session=session, point_code="GV4", side="midline",
                                         depth_mm=5, gauge_mm=Decimal("0.25"), length_mm=25,
                                         retention_minutes=20),
    ]
    for attempt in attempts:
        # past the model layer's own refusal of signature fields: the triggers refuse
        with pytest.raises(IntegrityError), transaction.atomic(), signing.signing():
            attempt()
    session.refresh_from_db()
    assert session.subjective == "" and session.is_signed


def test_addenda_are_kept_in_order_with_author_and_time(ready):
    session = sign(ready, save(ready, start(ready), [site("BL23")], removed=2))
    request = request_for(ready.practitioner)
    services.addendum_add(session=session, text="Patient phoned: bruise at BL23.",
                          request=request)
    services.addendum_add(session=session, text="Bruise resolved.", request=request)
    assert [a.text for a in session.addenda.all()] == ["Patient phoned: bruise at BL23.",
                                                       "Bruise resolved."]
    assert session.addenda.first().author == ready.practitioner


def test_a_draft_takes_no_addendum(ready):
    with pytest.raises(services.TreatmentError):
        services.addendum_add(session=start(ready), text="x",
                              request=request_for(ready.practitioner))


def test_start_from_plan_and_copy_last(ready):
    from acuback.treatment.models import TreatmentPlan

    TreatmentPlan.objects.create(
        patient=ready.patient, episode=ready.episode, style="tcm", rationale="r",
        planned_sessions=8, sessions_per_week=1, review_date=timezone.localdate(),
        prescription=[{"code": "BL23", "side": "bilateral"}, {"code": "GV4", "side": "midline"},
                      {"location": "left L4", "side": "left"}],
        adjuncts=[{"kind": "heat", "region": "lower_back"}], created_by=ready.practitioner)
    from_plan = services.session_start(episode=ready.episode,
                                       practitioner=ready.practitioner_record,
                                       location=ready.location,
                                       request=request_for(ready.practitioner), source="plan")
    assert from_plan.needles_inserted == 4
    assert from_plan.adjuncts == [{"kind": "heat", "region": "lower_back"}]
    from_plan.refresh_from_db()
    sign(ready, save(ready, from_plan, list(from_plan.insertions.values(
        *services.INSERTION_FIELDS)), removed=4))
    copy = services.session_start(episode=ready.episode, practitioner=ready.practitioner_record,
                                  location=ready.location, request=request_for(ready.practitioner),
                                  source="last")
    assert sorted(copy.insertions.values_list("point_code", flat=True)) == ["", "BL23", "GV4"]


def test_adverse_event_rates_come_from_sql_aggregates(ready, django_assert_num_queries):
    from acuback.treatment.selectors import adverse_event_rates
    from tests.factories import make_adverse_event

    for _ in range(4):
        sign(ready, save(ready, start(ready), [site("BL23")], removed=2))
    make_adverse_event(ready.patient, ready.practitioner, severity="minor")
    make_adverse_event(ready.patient, ready.practitioner, severity="minor")
    with django_assert_num_queries(2):
        rates = {r.severity: r for r in adverse_event_rates(clinic_ids=[ready.clinic.pk])}
    assert rates["minor"].events == 2 and rates["minor"].per_1000_sessions == 500.0
    assert rates["minor"].per_100_patients == 100.0
    assert rates["serious"].events == 0 and rates["serious"].per_1000_sessions == 0.0


def test_signing_stores_the_cpt_units_with_the_rule_version(ready):
    sets = [{"order": 1, "position": "prone", "face_to_face_minutes": 15, "electrical": False},
            {"order": 2, "position": "supine", "face_to_face_minutes": 15, "electrical": True}]
    session = save(ready, start(ready), [
        site("BL23"), site("ST36", needle_set=2, stimulation="electrical", frequency_hz=2,
                           paired_with="ST37"), site("ST37", needle_set=2)],
        needle_sets=sets, removed=6)
    signed = sign(ready, session)
    assert signed.cpt_codes == {"97810": 1, "97814": 1}
    assert signed.cpt_rule_version == cpt.RULE_VERSION


def test_signing_codes_only_needle_sets_that_had_needles(ready):
    sets = [{"order": 1, "position": "prone", "face_to_face_minutes": 20, "electrical": False},
            {"order": 2, "position": "supine", "face_to_face_minutes": 15, "electrical": False}]
    # Set 2 had no needle put in: contact time, not a re-insertion.
    session = save(ready, start(ready), [site("BL23")], needle_sets=sets, removed=2)
    assert sign(ready, session).cpt_codes == {"97810": 1}


def _counting_gate(monkeypatch):
    calls = []
    real = services.needling_check

    def counted(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "needling_check", counted)
    return calls


def test_save_and_sign_runs_the_safety_check_once(ready, monkeypatch):
    session = start(ready)
    session.refresh_from_db()
    calls = _counting_gate(monkeypatch)
    signed = services.session_save_and_sign(
        session=session, data={"needles_removed": 2, "pain_before": 6, "pain_after": 3},
        insertions=[site("BL23")], needle_sets=SET1, expected_version=session.version,
        request=request_for(ready.practitioner))
    assert len(calls) == 1 and calls[0]["point_codes"] == ["BL23"]
    stored = Session.objects.get(pk=session.pk)
    assert signed.is_signed and stored.is_signed and signed.version == stored.version
    assert stored.cpt_codes == signed.cpt_codes and stored.needles_inserted == 2


def test_signing_later_checks_again(ready, monkeypatch):
    session = save(ready, start(ready), [site("BL23")], removed=2)
    calls = _counting_gate(monkeypatch)
    sign(ready, session)
    assert len(calls) == 1  # a sign on its own is gated, whatever was checked at the save


def test_save_and_sign_keeps_the_draft_when_only_the_signature_is_refused(ready):
    session = start(ready)
    session.refresh_from_db()
    with pytest.raises(services.NotSigned) as refused:
        services.session_save_and_sign(
            session=session, data={"needles_removed": 1, "pain_before": 6, "pain_after": 3},
            insertions=[site("BL23")], needle_sets=SET1, expected_version=session.version,
            request=request_for(ready.practitioner))
    assert "does not reconcile" in " ".join(refused.value.reasons)
    stored = Session.objects.get(pk=session.pk)
    assert not stored.is_signed and stored.needles_removed == 1 and stored.needles_inserted == 2


def test_save_and_sign_refused_by_the_gate_saves_nothing(ready):
    make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                          devices=(Device("pacemaker", "chest"),))
    session = start(ready)
    session.refresh_from_db()
    with pytest.raises(NeedlingRefused):
        services.session_save_and_sign(
            session=session, data={"needles_removed": 2, "pain_before": 6, "pain_after": 3},
            insertions=[site(stimulation="electrical", frequency_hz=2, paired_with="BL25"),
                        site("BL25")],
            needle_sets=[{**SET1[0], "electrical": True}], expected_version=session.version,
            request=request_for(ready.practitioner))
    assert not Insertion.objects.filter(session=session).exists()
    assert not Session.objects.get(pk=session.pk).is_signed


def save_and_sign(ready, session, version=None):
    return services.session_save_and_sign(
        session=session, data={"needles_removed": 2, "pain_before": 6, "pain_after": 3},
        insertions=[site("BL23")], needle_sets=SET1,
        expected_version=session.version if version is None else version,
        request=request_for(ready.practitioner))


def test_save_and_sign_writes_the_rows_the_signature_and_both_audit_events(ready):
    from acuback.audit.models import AuditEvent

    session = start(ready)
    session.refresh_from_db()
    save_and_sign(ready, session)
    stored = Session.objects.get(pk=session.pk)
    assert stored.is_signed and stored.version == session.version
    assert list(stored.insertions.values_list("point_code", flat=True)) == ["BL23"]
    actions = list(AuditEvent.objects.filter(target=f"treatment.session:{session.pk}")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["session.start", "session.save", "session.sign"]


def test_save_and_sign_is_all_or_nothing(ready, monkeypatch):
    session = start(ready)
    session.refresh_from_db()
    before = session.version

    def failing(*args, **kwargs):
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(services, "_signed", failing)
    with pytest.raises(RuntimeError):
        save_and_sign(ready, session)
    stored = Session.objects.get(pk=session.pk)
    assert not stored.is_signed and stored.version == before and stored.needles_removed == 0
    assert not stored.insertions.exists()


def test_save_and_sign_of_a_stale_draft_is_refused_and_signs_nothing(ready):
    session = start(ready)
    version = session.version
    save(ready, session, [site("GV4", "midline")], version=version)
    with pytest.raises(services.StaleDraft):
        save_and_sign(ready, session, version=version)
    stored = Session.objects.get(pk=session.pk)
    assert not stored.is_signed
    assert list(stored.insertions.values_list("point_code", flat=True)) == ["GV4"]


def test_save_and_sign_after_someone_signed_it_is_refused_not_a_crash(ready):
    session = start(ready)
    session.refresh_from_db()
    version = session.version
    other_copy = Session.objects.get(pk=session.pk)
    save_and_sign(ready, other_copy)
    with pytest.raises(services.StaleDraft):
        save_and_sign(ready, session, version=version)
