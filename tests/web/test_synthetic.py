"""The synthetic network is deterministic and looks like a clinic's data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from acuback.outcomes.models import QuestionnaireResponse
from acuback.patients.models import Patient
from acuback.treatment.models import AdverseEvent, Insertion, Session


def _fingerprint():
    return (Patient.objects.count(), Session.objects.count(), Insertion.objects.count(),
            QuestionnaireResponse.objects.count(),
            list(Patient.objects.order_by("mrn").values_list("family_name", "date_of_birth")
                 [:20]))


def test_the_same_seed_gives_the_same_network(db):
    from datetime import date

    from django.db import transaction

    from acuback.web.synthetic import generate

    def run(seed):
        with transaction.atomic():
            generate(patients=120, clinics=2, seed=seed, today=date(2026, 11, 1))
            fingerprint = _fingerprint()
            transaction.set_rollback(True)  # the next run starts from the same database
        return fingerprint

    first, again, other = run(3), run(3), run(4)
    assert first == again and first[0] == 120 and first[1] > 120 * 3
    assert other != first


@pytest.mark.django_db
def test_distributions_are_plausible():
    from datetime import date

    from acuback.web.synthetic import generate

    report = generate(patients=300, clinics=1, seed=11, today=date(2026, 11, 1))
    assert report.patients == 300 and 300 <= report.episodes <= 400
    per_episode = report.sessions / report.episodes
    assert 5 <= per_episode <= 12
    assert 4 <= report.insertions / report.sessions <= 10
    signed = Session.objects.filter(status="signed").count()
    assert signed == report.sessions
    # the DB trigger allowed needles only before signing; counts were reconciled
    s = Session.objects.first()
    assert s.needles_inserted == s.insertions.count() == s.needles_removed
    # about half improve by 30 % or more on the NRS at discharge
    from acuback.insights.selectors import clinic_episodes, responder_rates

    rates = {(r.measure, r.time_point): r for r in
             responder_rates(clinic_episodes(clinic_ids=[s.patient.clinic_id]))}
    discharge = rates["nrs", "discharge"]
    assert discharge.n > 100 and 0.3 < discharge.responders / discharge.n < 0.7
    # adverse events near the published 68.4 per 1,000 sessions (wide bounds: small n)
    per_1000 = 1000 * AdverseEvent.objects.count() / report.sessions
    assert 35 < per_1000 < 110


@pytest.mark.django_db
def test_the_command_reports_and_refuses_a_reused_seed():
    out = StringIO()
    call_command("generate_synthetic", "--patients", "50", "--seed", "5", stdout=out)
    assert "Generated 1 clinics, 50 patients" in out.getvalue()
    with pytest.raises(CommandError, match="seed 5 exists"):
        call_command("generate_synthetic", "--patients", "50", "--seed", "5", stdout=out)
    with pytest.raises(CommandError):
        call_command("generate_synthetic", "--patients", "1", "--clinics", "2",
                     "--seed", "6", stdout=out)


@pytest.mark.django_db
def test_rows_written_in_bulk_read_back_as_the_models_expect():
    # PostgreSQL writes them with COPY and its own defaults; SQLite with bulk_create.
    from datetime import date

    from acuback.scheduling.models import Appointment
    from acuback.web.synthetic import generate

    report = generate(patients=200, clinics=1, seed=5, today=date(2026, 11, 1))
    assert Appointment.objects.count() == report.appointments > report.sessions * 0.9
    session = Session.objects.filter(electroacupuncture=True).first()
    assert session.cpt_codes.get("97813") or session.cpt_codes.get("97814")
    assert session.adjuncts == [] and session.subjective == "" and session.created_at
    response = QuestionnaireResponse.objects.filter(instrument="odi").first()
    assert len(response.answers) == 10 and response.item_labels == {}
    assert response.total == 2.0 * sum(response.answers.values())
    assert AdverseEvent.objects.count() == report.adverse_events
    insertion = Insertion.objects.first()
    assert str(insertion.gauge_mm) == "0.25" and insertion.needle_set == 1


def test_the_synthetic_sessions_obey_the_needle_site_rules(db):
    from datetime import date

    from acuback.web.synthetic import generate
    from tests.needle_rules import violations

    generate(patients=40, clinics=1, seed=5, today=date(2026, 11, 1))
    assert violations(Session.objects.all()) == []
