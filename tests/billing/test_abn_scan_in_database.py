"""An ABN signed on paper keeps its scan in the database (issue #31 §5): written on one app
server, it is served by any other, it is in the backup, and it never changes. Before,
the scan went to the node's own disk (MEDIA_ROOT) and no page could show it."""

from __future__ import annotations

import shutil

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, models, transaction
from django.urls import reverse

from acuback.audit.models import AuditEvent
from acuback.billing.models import Abn
from tests.billing.test_abn import over_the_limit

SCAN = b"%PDF-1.4 signed on paper by Alice Archer"


@pytest.fixture
def scanned(medicare_patient, login):
    today = over_the_limit(medicare_patient)
    desk = login(medicare_patient.front_desk)
    response = desk.post(reverse("abn_record", args=[medicare_patient.patient.pk]), {
        "visit_date": today.isoformat(), "option": "1", "how": "scanned",
        "signature_name": "Alice Archer", "signed_on": today.isoformat(),
        "scan": SimpleUploadedFile("signed.pdf", SCAN, content_type="application/pdf")})
    assert response.status_code == 302
    return Abn.objects.get(patient=medicare_patient.patient)


def test_the_scan_is_written_to_no_node_disk_and_any_node_serves_it(
        scanned, medicare_patient, login):
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
    shutil.rmtree(media, ignore_errors=True)  # another node: nothing of this one's disk
    desk = login(medicare_patient.front_desk)
    account = desk.get(reverse("patient_account", args=[medicare_patient.patient.pk]))
    link = reverse("abn_scan", args=[medicare_patient.patient.pk, scanned.pk])
    assert link in account.content.decode()
    response = desk.get(link)
    assert response.status_code == 200 and response.content == SCAN
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert AuditEvent.objects.filter(action="billing.abn_scan_read",
                                     patient_id=medicare_patient.patient.pk).count() == 1


def test_another_clinic_and_the_patient_cannot_read_the_scan(scanned, medicare_patient, login):
    link = reverse("abn_scan", args=[medicare_patient.patient.pk, scanned.pk])
    assert login(medicare_patient.outsider).get(link).status_code == 404
    assert login(medicare_patient.patient_user).get(link).status_code in (403, 404)
    other = reverse("abn_scan", args=[medicare_patient.other_patient.pk, scanned.pk])
    assert login(medicare_patient.front_desk).get(other).status_code == 404


def test_a_signed_abn_and_its_scan_are_never_changed_or_deleted(scanned):
    for sql in ("UPDATE billing_abnscan SET content = %s", "DELETE FROM billing_abnscan",
                "UPDATE billing_abn SET signature_name = %s", "DELETE FROM billing_abn"):
        with pytest.raises(DatabaseError), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, [b"x"] if "content" in sql else
                           ["Someone Else"] if "%s" in sql else [])
    assert bytes(scanned.scan.content) == SCAN


def test_no_model_keeps_a_file_on_the_node_disk():
    """The class of the defect: a FileField writes to MEDIA_ROOT, one node's disk."""
    on_disk = [f"{m._meta.label}.{f.name}" for m in apps.get_models()
               for f in m._meta.get_fields() if isinstance(f, models.FileField)]
    assert on_disk == []
