from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from acuback.accounts.models import Clinic, Location, Practitioner, User
from acuback.accounts.selectors import registry
from acuback.patients.models import Consent, Patient
from acuback.web.demo import DEMO_LOGINS, DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    return out.getvalue()


def test_the_demo_has_what_the_issue_asks_for():
    output = seed()
    main = Clinic.objects.get(slug="riverside-demo")
    assert Location.objects.filter(clinic=main).count() == 2
    assert Practitioner.objects.filter(clinic=main).count() == 4
    assert Patient.objects.filter(clinic=main).count() >= 60
    assert Clinic.objects.count() == 2
    assert Consent.objects.filter(withdrawn_at__isnull=False).exists()
    for login in DEMO_LOGINS:
        assert login.username in output
        assert User.objects.get(username=login.username).check_password(DEMO_PASSWORD)


def test_one_licence_is_expired_and_one_expires_within_60_days():
    seed()
    admin = User.objects.get(username="admin")
    rows = {r.practitioner.user.username: r for r in registry(user=admin, on=timezone.localdate())}
    assert rows["dokafor"].worst == "bad" and rows["dokafor"].cleared_at == []
    assert rows["swhitfield"].worst == "warn"
    assert rows["mlin"].worst == "ok" and len(rows["mlin"].cleared_at) == 2


def test_the_demo_is_deterministic():
    from django.db import transaction

    from acuback.web.demo import seed_demo

    def snapshot():
        return list(Patient.objects.order_by("clinic__slug", "mrn").values_list(
            "mrn", "given_name", "family_name", "date_of_birth", "email"))

    with transaction.atomic():
        seed_demo()
        first = snapshot()
        transaction.set_rollback(True)
    assert not Patient.objects.exists()
    seed_demo()
    assert snapshot() == first


def test_a_second_run_keeps_the_data_and_still_prints_the_logins():
    seed()
    count = Patient.objects.count()
    output = seed()
    assert Patient.objects.count() == count
    assert "already holds data" in output and "mlin" in output


def test_without_if_empty_it_refuses_to_load_twice():
    seed()
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())


def test_the_clinics_are_isolated_in_the_demo():
    seed()
    harbor = User.objects.get(username="harbor")
    assert set(Patient.objects.visible_to(harbor).values_list("clinic__slug", flat=True)) == {
        "harbor-demo"}


def test_the_demo_shows_each_kind_of_safety_outcome():
    from acuback.screening.models import Screening

    seed()
    outcomes = set(Screening.objects.values_list("outcome", flat=True))
    assert {"EMERGENCY", "URGENT", "PRECAUTIONS", "PROCEED"} <= outcomes
    assert Screening.objects.filter(clearances__isnull=False).exists()


@pytest.mark.parametrize("name, outcome", [
    ("Joseph Schmidt", "EMERGENCY"), ("Emily Cohen", "URGENT"), ("Sofia Martinez", "PRECAUTIONS"),
    ("Carlos Dubois", "PRECAUTIONS"), ("Helen Dubois", "PRECAUTIONS"),
    ("Grace Thompson", "PROCEED")])
def test_the_patients_the_readme_names_have_the_outcomes_it_says(name, outcome):
    from acuback.screening.models import Screening

    seed()
    given, family = name.split()
    screening = Screening.objects.get(patient__given_name=given, patient__family_name=family)
    assert screening.outcome == outcome


def test_the_demo_has_signed_sessions_plans_and_adverse_events():
    from acuback.treatment.models import AdverseEvent, Session, TreatmentPlan

    seed()
    assert TreatmentPlan.objects.count() == 9
    assert Session.objects.filter(status="signed").count() >= 27
    assert not Session.objects.exclude(needles_removed=F("needles_inserted")).exists()
    assert AdverseEvent.objects.count() == 2


def test_the_demo_shows_progress_and_one_patient_not_improving():
    from acuback.outcomes.selectors import progress
    from acuback.patients.models import EpisodeOfCare

    seed()
    treated = EpisodeOfCare.objects.filter(plans__isnull=False).distinct()
    flags = [progress(e).not_improving for e in treated]
    assert flags.count(True) == 1
    assert [progress(e).overall for e in treated].count("improving") >= 6


def test_the_demo_sessions_and_plans_obey_the_needle_site_rules():
    from acuback.clinical import points
    from acuback.treatment.models import Insertion, Session, TreatmentPlan
    from acuback.treatment.services import ea_pair_problems
    from tests.needle_rules import violations

    seed()
    assert violations(Session.objects.all()) == []
    # One session shows a chest-wall point needled deeper than its ceiling, acknowledged,
    # and the symptom check recorded.
    acknowledged = Insertion.objects.filter(caution_acknowledged=True,
                                            session__status="signed").select_related("session")
    assert any(points.needs_chest_check(points.lookup(i.point_code))
               and i.depth_mm > points.depth_ceiling(points.lookup(i.point_code), i.side)
               and i.session.chest_check == "clear" for i in acknowledged)
    # Electroacupuncture is shown too, with its pairs, in a plan and its sessions.
    assert Session.objects.filter(status="signed", electroacupuncture=True).exists()
    for plan in TreatmentPlan.objects.all():
        assert ea_pair_problems(prescription=plan.prescription, ea_pairs=plan.ea_pairs,
                                planned_electroacupuncture=plan.planned_electroacupuncture) == []
    assert TreatmentPlan.objects.filter(planned_electroacupuncture=True).exists()


def test_the_demo_has_no_patient_answering_a_paraphrase():
    from acuback.outcomes.models import QuestionnaireResponse

    seed()
    paraphrased = QuestionnaireResponse.objects.filter(wording="paraphrase")
    assert paraphrased.exists()  # ODI, STarT Back and PEG, entered by staff
    assert not paraphrased.filter(completed_by="patient").exists()
