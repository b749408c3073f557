"""A coverage plan's priority starts at 1 (FHIR Coverage.order is a positiveInt): a plan
of priority 0, which the admin form accepted, could be sent to no other system."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from acuback.billing.models import CoveragePlan, Payer


def test_a_priority_of_zero_is_refused_naming_the_field(world):
    payer = Payer.objects.create(clinic=world.clinic, name="Aetna", kind="commercial")
    plan = CoveragePlan(patient=world.patient, payer=payer, priority=0,
                        effective_from="2026-01-01")
    with pytest.raises(ValidationError) as refused:
        plan.full_clean()
    assert "priority" in refused.value.message_dict
    plan.priority = 1
    plan.full_clean()
