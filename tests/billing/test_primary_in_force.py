"""The primary plan in force and the visit days, written out in SQL, against the ORM."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from acuback import signing
from acuback.billing.models import CoveragePlan, Payer
from acuback.billing.selectors import visit_dates
from acuback.treatment.models import Session
from tests.factories import make_patient, make_session

ON = date(2026, 6, 15)


def orm_answer(patient, on):
    return (CoveragePlan.objects.in_force(on).filter(patient=patient).select_related("payer")
            .order_by("priority", "pk").first())


def minutes(patient, on):
    plan = CoveragePlan.objects.primary_in_force(patient.pk, on)
    return plan.payer.min_minutes_per_unit if plan else None


def test_the_primary_plan_in_force_is_the_orms_with_its_payer(world):
    payers = {m: Payer.objects.create(clinic=world.clinic, name=f"Payer {m}", kind="commercial",
                                      min_minutes_per_unit=m) for m in (8, 10, 12, 15, 20)}
    patient = world.patient
    assert CoveragePlan.objects.primary_in_force(patient.pk, ON) is None  # no plan
    cases = [  # (minutes, priority, from, to)
        (8, 1, ON + timedelta(days=1), None),  # not yet in force
        (10, 1, date(2025, 1, 1), ON - timedelta(days=1)),  # ended the day before
        (12, 2, date(2025, 1, 1), None),  # secondary
        (20, 1, ON, ON),  # in force for exactly that day
    ]
    for m, priority, start, end in cases:
        CoveragePlan.objects.create(patient=patient, payer=payers[m], priority=priority,
                                    effective_from=start, effective_to=end, visit_limit=m)
    for day in (ON - timedelta(days=1), ON, ON + timedelta(days=1), ON + timedelta(days=2),
                date(2024, 12, 31)):
        found, expected = CoveragePlan.objects.primary_in_force(patient.pk, day), \
            orm_answer(patient, day)
        assert (found and found.pk) == (expected and expected.pk), day
    assert [minutes(patient, d) for d in (date(2024, 12, 31), ON - timedelta(days=1), ON,
                                          ON + timedelta(days=1))] == [None, 10, 20, 8]
    plan = CoveragePlan.objects.primary_in_force(patient.pk, ON)
    with CaptureQueriesContext(connection) as reads:  # the payer came with the plan
        assert (plan.payer.name, plan.visit_limit, plan.effective_to) == ("Payer 20", 20, ON)
    assert len(reads) == 0
    other = make_patient(world.clinic)  # another patient's plans are not theirs
    assert CoveragePlan.objects.primary_in_force(other.pk, ON) is None


def test_visit_dates_are_the_signed_sessions_days_in_order(world):
    patient = world.patient
    days = [ON - timedelta(days=20), ON - timedelta(days=3), ON, ON + timedelta(days=4)]
    for n, day in enumerate(reversed(days)):
        session = make_session(patient, world.practitioner_record, world.location)
        with signing.signing():  # arranging data signed earlier
            Session.objects.filter(pk=session.pk).update(session_date=day,
                                                         status="signed" if n != 1 else "draft")
    signed = [d for d in days if d != ON]  # the draft is not a visit
    assert visit_dates(patient) == signed
    assert visit_dates(patient, before=ON) == signed[:2]
    assert visit_dates(patient, before=date(2000, 1, 1)) == []
    assert visit_dates(make_patient(world.clinic)) == []


def test_primaries_in_force_of_several_patients_are_each_the_orms(world):
    medicare = Payer.objects.create(clinic=world.clinic, name="Medicare", kind="medicare")
    private = Payer.objects.create(clinic=world.clinic, name="Private", kind="commercial")
    patients = [world.patient, *(make_patient(world.clinic) for _ in range(3))]
    CoveragePlan.objects.create(patient=patients[0], payer=private, priority=2,
                                effective_from=date(2025, 1, 1))
    CoveragePlan.objects.create(patient=patients[0], payer=medicare, priority=1,
                                effective_from=date(2025, 1, 1))
    CoveragePlan.objects.create(patient=patients[1], payer=private, priority=1,
                                effective_from=date(2025, 1, 1), effective_to=ON)
    CoveragePlan.objects.create(patient=patients[2], payer=medicare, priority=1,
                                effective_from=ON + timedelta(days=1))
    found = CoveragePlan.objects.primaries_in_force([p.pk for p in patients], ON)
    expected = {p.pk: plan for p in patients if (plan := orm_answer(p, ON))}
    assert {k: v.pk for k, v in found.items()} == {k: v.pk for k, v in expected.items()}
    assert {k: v.payer.name for k, v in found.items()} == {patients[0].pk: "Medicare",
                                                           patients[1].pk: "Private"}
    assert CoveragePlan.objects.primaries_in_force([], ON) == {}
