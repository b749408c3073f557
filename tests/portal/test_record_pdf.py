"""'Download my record' gives the patient a PDF of their own record, audited
(issue #28 §7)."""

from __future__ import annotations

import io
import re

from django.urls import reverse
from pypdf import PdfReader

from acuback.audit.models import AuditEvent
from tests.factories import make_record


def _text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_download_my_record_is_a_pdf_of_my_own_record_and_is_audited(world, login):
    make_record(world)
    client = login(world.patient_user)
    home = client.get(reverse("home")).content.decode()
    link = re.search(r'href="([^"]+)" download>Download your record', home).group(1)
    text = _text(client.get(link.replace("&amp;", "&")))
    assert "Alice Archer" in text and world.patient.mrn in text
    assert "Bruno" not in text
    event = AuditEvent.objects.get(action="portal.download_record")
    assert event.patient == world.patient and event.detail == {"pdf": True}
    theirs = _text(login(world.other_patient_user).get(link.replace("&amp;", "&")))
    assert "Bruno Baker" in theirs and "Alice" not in theirs
