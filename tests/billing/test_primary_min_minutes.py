"""The payer minutes a signature reads, written out in SQL, against the ORM's rule."""

from __future__ import annotations

from datetime import date, timedelta

from acuback.billing.models import CoveragePlan, Payer
from tests.factories import make_patient

ON = date(2026, 6, 15)


def orm_answer(patient, on):
    plan = (CoveragePlan.objects.in_force(on).filter(patient=patient).select_related("payer")
            .order_by("priority", "pk").first())
    return plan.payer.min_minutes_per_unit if plan else None


def test_the_primary_plan_in_force_decides_as_the_orm_does(world):
    payers = {m: Payer.objects.create(clinic=world.clinic, name=f"Payer {m}", kind="commercial",
                                      min_minutes_per_unit=m) for m in (8, 10, 12, 15, 20)}
    patient = world.patient
    assert CoveragePlan.objects.primary_min_minutes(patient.pk, ON) is None  # no plan
    cases = [  # (minutes, priority, from, to)
        (8, 1, ON + timedelta(days=1), None),  # not yet in force
        (10, 1, date(2025, 1, 1), ON - timedelta(days=1)),  # ended the day before
        (12, 2, date(2025, 1, 1), None),  # secondary
        (20, 1, ON, ON),  # in force for exactly that day
    ]
    for minutes, priority, start, end in cases:
        CoveragePlan.objects.create(patient=patient, payer=payers[minutes], priority=priority,
                                    effective_from=start, effective_to=end)
    for day in (ON - timedelta(days=1), ON, ON + timedelta(days=1), date(2024, 12, 31)):
        assert CoveragePlan.objects.primary_min_minutes(patient.pk, day) == \
            orm_answer(patient, day), day
    assert CoveragePlan.objects.primary_min_minutes(patient.pk, ON) == 20
    assert CoveragePlan.objects.primary_min_minutes(patient.pk, ON - timedelta(days=1)) == 10
    assert CoveragePlan.objects.primary_min_minutes(patient.pk, ON + timedelta(days=2)) == 8
    assert CoveragePlan.objects.primary_min_minutes(patient.pk, date(2024, 12, 31)) is None
    assert CoveragePlan.objects.primary_min_minutes(patient.pk, ON + timedelta(days=1)) == 8
    # Another patient's plans are not this patient's.
    other = make_patient(world.clinic)
    assert CoveragePlan.objects.primary_min_minutes(other.pk, ON) is None
