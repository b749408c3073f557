"""A Medicare patient with a chronic, nonspecific episode on the NCD list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from acuback.accounts.models import Credential, Practitioner, Supervision
from acuback.billing.models import CoveragePlan, FeeSchedule, Payer
from tests.factories import make_episode, make_practitioner, make_signed_visit

VALID_NPI = "1234567893"  # passes the NPI check digit
OTHER_NPI = "1245319599"


@pytest.fixture
def medicare_patient(world):
    world.payer = Payer.objects.create(clinic=world.clinic, name="Medicare", kind="medicare",
                                       covered_diagnoses=["M54.50"],
                                       covered_diagnoses_source="test list")
    CoveragePlan.objects.create(patient=world.patient, payer=world.payer,
                                member_id="1EG4TE5MK73", effective_from=date(2024, 1, 1))
    world.episode = make_episode(world.patient, world.practitioner,
                                 onset_date=timezone.localdate() - timedelta(weeks=150),
                                 diagnosis_codes=["M54.50"])
    # The rendering acupuncturist meets the NCD (degree, licence) and is supervised by a
    # physician with an NPI: incident-to, eligible.
    Credential.objects.create(practitioner=world.practitioner_record, kind="degree",
                              issuer="A school", jurisdiction="US-IL", degree_level="masters",
                              degree_field="acupuncture", accreditor="ACAHM",
                              issued_on=date(2015, 6, 1))
    world.supervisor = make_practitioner(world.clinic)
    Practitioner.objects.filter(pk=world.supervisor.pk).update(
        profession="physician", npi=VALID_NPI, display_name="Dr Porter")
    Supervision.objects.create(supervisee=world.practitioner_record,
                               supervisor=world.supervisor)
    for code, amount in (("97810", "80.00"), ("97811", "40.00"), ("97813", "90.00"),
                         ("97814", "45.00")):
        FeeSchedule.objects.create(clinic=world.clinic, code=code, amount=amount)
    return world


def visit(world, day, practitioner=None, **kw):
    if practitioner is not None and practitioner.user is None:
        from acuback.accounts.models import User

        practitioner.user = User.objects.create_user(f"user{practitioner.pk}")
        practitioner.save(update_fields=["user"])
    return make_signed_visit(world.patient, practitioner or world.practitioner_record,
                             world.location, episode=world.episode, day=day, **kw)
