from __future__ import annotations

import pytest

from acuback.audit.models import AppendOnlyError, AuditEvent
from acuback.audit.services import audit_record


def test_an_event_cannot_be_changed(world):
    event = audit_record(request=None, action="patient.view", patient=world.patient,
                         actor=world.practitioner)
    event.action = "nothing.happened"
    with pytest.raises(AppendOnlyError):
        event.save()


def test_an_event_cannot_be_deleted_one_by_one_or_in_bulk(world):
    event = audit_record(request=None, action="patient.view", patient=world.patient)
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(action="x")
    assert AuditEvent.objects.count() == 1


def test_the_event_names_the_clinic_of_the_patient(world):
    event = audit_record(request=None, action="patient.view", patient=world.patient,
                         target=world.patient)
    assert event.clinic_id == world.clinic.pk
    assert event.target == f"patients.patient:{world.patient.pk}"


def test_admins_see_only_their_clinics_events(world):
    audit_record(request=None, action="patient.view", patient=world.patient)
    audit_record(request=None, action="patient.view", patient=world.outsider_patient)
    assert list(AuditEvent.objects.visible_to(world.admin).values_list("patient", flat=True)) == [
        world.patient.pk]
    assert not AuditEvent.objects.visible_to(world.practitioner).exists()
