"""Superbills (HTML, PDF) and the claim export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from acuback.billing.models import CoveragePlan, FeeSchedule, Payer
from tests.factories import make_episode, make_signed_visit


@pytest.fixture
def billed(world):
    payer = Payer.objects.create(clinic=world.clinic, name="Acme Health", kind="commercial")
    CoveragePlan.objects.create(patient=world.patient, payer=payer, member_id="ACME-77",
                                effective_from=date(2025, 1, 1))
    FeeSchedule.objects.create(clinic=world.clinic, code="97810", amount="80.00")
    FeeSchedule.objects.create(clinic=world.clinic, code="97814", amount="45.50")
    episode = make_episode(world.patient, world.practitioner, diagnosis_codes=["M54.50"])
    make_signed_visit(world.patient, world.practitioner_record, world.location,
                      episode=episode, day=timezone.localdate() - timedelta(days=2),
                      sets=[(20, False), (15, True)])
    world.payer = payer
    return world


def test_the_superbill_lists_codes_units_and_charges(billed, login):
    page = login(billed.front_desk).get(reverse("patient_superbill", args=[billed.patient.pk]))
    text = page.content.decode()
    assert "ACME-77" in text and "M54.50" in text
    assert "97810" in text and "97814" in text and "125.50" in text


def test_a_missing_fee_and_a_header_diagnosis_are_named(billed, login):
    FeeSchedule.objects.filter(code="97814").delete()
    billed.patient.episodes.update(diagnosis_codes=["M54.5"])
    text = login(billed.front_desk).get(reverse("patient_superbill",
                                                args=[billed.patient.pk])).content.decode()
    assert "No fee for 97814" in text and "M54.5 is a category header" in text


@pytest.mark.parametrize("paper", ["", "letter"])
def test_the_superbill_pdf_carries_the_same_text(billed, login, paper):
    from pypdf import PdfReader

    response = login(billed.front_desk).get(
        reverse("patient_superbill", args=[billed.patient.pk]), {"format": "pdf",
                                                                  "paper": paper})
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Superbill" in text and "97814" in text and "ACME-77" in text
    width = float(reader.pages[0].mediabox.width)
    assert round(width) == (612 if paper == "letter" else 595)  # Letter 8.5 in, A4 210 mm


def test_the_claim_export_fills_the_cms_1500_boxes(billed, login):
    response = login(billed.admin).get(reverse("claim_export"), {"payer": billed.payer.pk})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["box_24d_procedure"] for r in rows] == ["97810", "97814"]
    first = rows[0]
    assert first["box_1a_insured_id"] == "ACME-77" and first["box_21_diagnoses"] == "A:M54.50"
    assert first["box_24f_charges"] == "80.00" and first["box_24g_units"] == "1"
    json_rows = login(billed.admin).get(reverse("claim_export"), {"format": "json"}).json()
    assert len(json_rows["lines"]) == 2
