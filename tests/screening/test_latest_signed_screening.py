"""The safety profile's read of the latest signed screening (written in SQL) keeps the
ORM's order and its clearance flag."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from acuback import signing
from acuback.screening.models import ReferralClearance, Screening
from acuback.screening.selectors import latest_signed_screening
from tests.factories import make_signed_screening


def _orm(patient):
    return (Screening.objects.filter(patient=patient, status="signed")
            .annotate(has_clearance=Exists(ReferralClearance.objects.filter(
                screening=OuterRef("pk")))).order_by("-signed_at", "-pk").first())


def test_none_before_any_screening_is_signed(world):
    assert latest_signed_screening(world.patient) is None


def test_the_latest_signed_with_its_clearance_as_the_orm_reads_it(world):
    older = make_signed_screening(world.patient, world.practitioner)
    newer = make_signed_screening(world.patient, world.practitioner)
    with signing.signing():  # arranging data signed earlier
        Screening.objects.filter(pk=older.pk).update(signed_at=timezone.now() - timedelta(days=3))
    ReferralClearance.objects.create(screening=older, kind="medical_clearance", note="ok",
                                     recorded_by=world.practitioner)
    found = latest_signed_screening(world.patient)
    assert found.pk == newer.pk == _orm(world.patient).pk and found.has_clearance is False
    assert {"answers", "changes"} <= found.get_deferred_fields()
    assert found.decision == Screening.objects.get(pk=newer.pk).decision
    assert found.signed_at == Screening.objects.get(pk=newer.pk).signed_at  # aware, as the ORM
    assert found.signed_by == world.practitioner and found.answers  # read when asked for
    ReferralClearance.objects.create(screening=newer, kind="medical_clearance", note="ok",
                                     recorded_by=world.practitioner)
    assert latest_signed_screening(world.patient).has_clearance is True
    with signing.signing():  # arranging data signed earlier
        Screening.objects.filter(pk=older.pk).update(signed_at=timezone.now() + timedelta(days=1))
    assert latest_signed_screening(world.patient).pk == older.pk == _orm(world.patient).pk
