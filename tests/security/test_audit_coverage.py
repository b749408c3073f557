"""Every page that shows a patient's data writes an audit event naming the patient: the
test walks every such page of the access matrix as the role that may open it."""

from __future__ import annotations

import pytest

from acuback.audit.models import AuditEvent
from tests.web.test_access_matrix import MATRIX


def _patient_pages():
    for name, (_build, method, expected) in sorted(MATRIX.items()):
        if method != "get":
            continue
        for role in ("practitioner", "clinic_admin", "front_desk", "patient"):
            if expected.get(role) == 200:
                yield name, role
                break


@pytest.mark.parametrize(("name", "role"), list(_patient_pages()))
def test_each_read_of_patient_data_is_audited(name, role, world_with_consent, login):
    world = world_with_consent
    build, _, _ = MATRIX[name]
    url = build(world)
    public = name in ("portal_login", "public_book")  # no patient data on these
    shows_patient = (f"/patients/{world.patient.pk}/" in url or url.startswith("/portal/")
                     or f"/Patient/{world.patient.pk}" in url)
    if public or not shows_patient:
        pytest.skip("not a page about one patient")
    before = AuditEvent.objects.count()
    response = login(world.user_for(role)).get(url)
    assert response.status_code == 200
    new = AuditEvent.objects.order_by("pk")[before:]
    assert any(e.patient_id == world.patient.pk for e in new), \
        f"{name} ({url}) showed patient data without an audit event"
