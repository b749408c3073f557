"""Electronic claims (issue #29 §2): draft -> ready (each missing item named) -> submitted
in a batch (837P, 005010X222A1, passed by pyx12) -> paid / partly paid / denied by an 835
-> corrected and resubmitted (frequency 7 with the original claim's number)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from acuback.accounts.models import Practitioner
from acuback.audit.models import AuditEvent
from acuback.billing import claims, x12
from acuback.billing.models import (
    Claim,
    ClaimBatch,
    ClaimEvent,
    ClaimLine,
    ClaimSetup,
    ClaimStatus,
    CoveragePlan,
    Payer,
)
from acuback.patients.models import Patient
from tests.factories import request_for

from .conftest import VALID_NPI, visit

DAY = date(2026, 3, 2)


def set_up_for_claims(world) -> None:
    """Everything an 837P needs that the Medicare fixture does not hold."""
    ClaimSetup.objects.create(clinic=world.clinic, tax_id="123456789",
                              address_line1="12 Pine St", city="Seattle", state="WA",
                              postal_code="98101-1234", submitter_id="ACUBACK01",
                              contact_phone="206-555-0100", receiver_name="Clearing House",
                              receiver_id="CLEARHOUSE")
    Payer.objects.filter(pk=world.payer.pk).update(electronic_payer_id="00430")
    Patient.objects.filter(pk=world.patient.pk).update(
        address_line1="4 Elm St", city="Seattle", region="WA", postal_code="98102",
        sex_at_birth="female")


def prepare(world, start=DAY, end=DAY):
    return claims.claims_prepare(clinic=world.clinic, start=start, end=end,
                                 request=request_for(world.admin))


def submit(world, found):
    return claims.batch_submit(clinic=world.clinic, claim_ids=[c.pk for c in found],
                               request=request_for(world.admin))


def test_a_claim_is_a_draft_naming_each_missing_item_in_words(medicare_patient):
    world = medicare_patient
    Practitioner.objects.filter(pk=world.supervisor.pk).update(npi="")
    visit(world, DAY)
    (claim,) = prepare(world)
    assert claim.status == ClaimStatus.DRAFT
    missing = " | ".join(claim.missing)
    for words in ("the billing provider's tax ID (EIN)", "address with a ZIP+4",
                  "the clinic's submitter ID", "the clearing house",
                  "the electronic payer ID of Medicare",
                  "the patient's address (street, city, two-letter state and ZIP)",
                  "the billing practitioner's NPI", "the rendering practitioner's NPI"):
        assert words in missing, words
    # Once the data is there, the claim rebuilt from the record is ready.
    set_up_for_claims(world)
    Practitioner.objects.filter(pk=world.supervisor.pk).update(npi=VALID_NPI)
    claim = claims.claim_rebuild(claim=claim, request=request_for(world.admin))
    assert claim.status == ClaimStatus.READY and claim.missing == []
    assert list(ClaimEvent.objects.filter(claim=claim).values_list("status", flat=True)) == [
        "draft", "ready"]


def test_a_commercial_claim_names_the_member_id_and_the_rendering_npi(medicare_patient):
    world = medicare_patient
    set_up_for_claims(world)
    cascade = Payer.objects.create(clinic=world.clinic, name="Cascade", kind="commercial",
                                   electronic_payer_id="CHP01")
    CoveragePlan.objects.filter(patient=world.patient).update(effective_to=date(2025, 12, 31))
    CoveragePlan.objects.create(patient=world.patient, payer=cascade, member_id="",
                                effective_from=date(2026, 1, 1))
    visit(world, DAY)
    (claim,) = prepare(world)
    assert "the member ID on the patient's insurance" in claim.missing
    assert "the rendering practitioner's NPI" in claim.missing  # the acupuncturist has none


def test_the_lifecycle_is_audited_and_a_sent_claim_never_changes(medicare_patient):
    world = medicare_patient
    set_up_for_claims(world)
    visit(world, DAY)
    (claim,) = prepare(world)
    assert claim.status == ClaimStatus.READY
    batch = submit(world, [claim])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED and claim.batch == batch
    assert AuditEvent.objects.filter(action="billing.claim_status", patient=world.patient
                                     ).count() == 2  # ready, submitted
    assert AuditEvent.objects.filter(action="billing.batch_submit").exists()
    # Sent: not rebuilt, not prepared again, not sent again, its lines kept by the database.
    with pytest.raises(Exception, match="never changes"):
        claims.claim_rebuild(claim=claim, request=request_for(world.admin))
    assert prepare(world) == []
    with pytest.raises(Exception, match="Only ready claims"):
        submit(world, [claim])
    with pytest.raises(DatabaseError), transaction.atomic():
        ClaimLine.objects.filter(claim=claim).update(units=9)
    with pytest.raises(DatabaseError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).delete()
    # A correction is a new claim that refers to it (frequency 7); the original stays.
    new = claims.claim_correct(claim=claim, request=request_for(world.admin))
    claim.refresh_from_db()
    assert (new.frequency, new.replaces_id, new.status) == ("7", claim.pk, ClaimStatus.READY)
    assert claim.status == ClaimStatus.REPLACED and claim.lines.count() == 1
    second = submit(world, [new])
    assert f"CLM*{new.number}*" in second.x12 and ":B:7*" in second.x12
    assert f"REF*F8*{claim.number}~" in second.x12
    assert x12.problems(second.x12) == []


def test_the_837p_carries_providers_subscriber_claim_and_lines_and_passes_pyx12(
        medicare_patient):
    world = medicare_patient
    set_up_for_claims(world)
    visit(world, DAY, sets=[(15, False), (15, False)])
    (claim,) = prepare(world)
    document = submit(world, [claim]).x12
    assert x12.problems(document) == []
    segments = document.split("~\n")
    assert "ST*837*0001*005010X222A1" in segments
    # Incident-to (NCD 30.3.3 §1.3): the supervising physician bills, renders, supervises.
    assert f"NM1*85*1*PORTER*DR****XX*{VALID_NPI}" in segments or \
        f"NM1*85*1*PORTER*****XX*{VALID_NPI}" in segments
    assert "REF*EI*123456789" in segments and "N4*SEATTLE*WA*981011234" in segments
    assert f"NM1*DQ*1*PORTER*****XX*{VALID_NPI}" in segments
    assert "SBR*P*18*******MB" in segments
    assert any(s.startswith("NM1*IL*1*ARCHER*ALICE****MI*1EG4TE5MK73") for s in segments)
    assert "NM1*PR*2*MEDICARE*****PI*00430" in segments
    assert f"CLM*{claim.number}*120***11:B:1*Y*A*Y*Y" in segments
    assert "HI*ABK:M5450" in segments
    assert "SV1*HC:97810*80*UN*1***1" in segments and "SV1*HC:97811*40*UN*1***1" in segments
    assert segments.count("DTP*472*D8*20260302") == 2


def test_a_spouse_subscriber_gives_a_patient_loop_that_passes_pyx12(medicare_patient):
    world = medicare_patient
    set_up_for_claims(world)
    CoveragePlan.objects.filter(patient=world.patient).update(
        subscriber_relationship="01", subscriber_given_name="Sam",
        subscriber_family_name="Archer", subscriber_date_of_birth=date(1950, 5, 6),
        group_number="GRP-7")
    visit(world, DAY)
    (claim,) = prepare(world)
    document = submit(world, [claim]).x12
    assert x12.problems(document) == []
    segments = document.split("~\n")
    assert "SBR*P**GRP-7******MB" in segments and "PAT*01" in segments
    assert any(s.startswith("NM1*IL*1*ARCHER*SAM****MI*1EG4TE5MK73") for s in segments)
    assert "NM1*QC*1*ARCHER*ALICE" in segments and "DMG*D8*19500506*U" in segments


def test_a_file_that_fails_validation_is_never_offered_and_the_biller_is_told(
        medicare_patient, login, monkeypatch):
    world = medicare_patient
    set_up_for_claims(world)
    visit(world, DAY)
    (claim,) = prepare(world)
    real = x12.claim_file
    # A writer fault: the BHT's transaction type code made invalid.
    monkeypatch.setattr(x12, "claim_file",
                        lambda *a, **k: real(*a, **k).replace("*CH~", "*QQ~"))
    response = login(world.admin).post(reverse("claims_page"),
                                       {"action": "submit", "claim": [claim.pk]})
    assert response.status_code == 400
    page = response.content.decode()
    assert "did not pass the X12 validator" in page and "BHT" in page
    assert not ClaimBatch.objects.exists()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY


def test_the_claims_pages_are_in_the_billing_navigation_for_the_roles_that_bill(world,
                                                                              login):
    page = login(world.admin).get(reverse("billing_home")).content.decode()
    assert reverse("claims_page") in page and reverse("remittances_page") in page
    desk = login(world.front_desk).get(reverse("billing_home")).content.decode()
    assert reverse("claims_page") not in desk


def test_the_biller_prepares_and_sends_from_the_page_and_downloads_the_837p(
        medicare_patient, login):
    world = medicare_patient
    set_up_for_claims(world)
    visit(world, DAY)
    admin = login(world.admin)
    # The period is the form's (a POST), not the page's query.
    response = admin.post(reverse("claims_page"),
                          {"action": "prepare", "from": "2026-03-01", "to": "2026-03-31"})
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.READY
    listed = admin.get(reverse("claims_page")).content.decode()
    assert claim.number in listed
    assert admin.post(reverse("claims_page"), {"action": "submit", "claim": [claim.pk]}
                      ).status_code == 302
    batch = ClaimBatch.objects.get()
    download = admin.get(reverse("batch_download", args=[batch.pk]))
    assert download.status_code == 200 and download.content.decode() == batch.x12
    assert x12.problems(download.content.decode()) == []
    detail = admin.get(reverse("claim_detail", args=[claim.pk])).content.decode()
    assert "Submitted" in detail and "Correct and resubmit" in detail
    assert Decimal(claim.total_charge) == Decimal("80.00")


def test_the_clinic_admin_sets_up_the_sender_and_the_payer_ids_each_field_named(
        medicare_patient, login):
    world = medicare_patient
    admin = login(world.admin)
    url = reverse("claim_setup")
    bad = admin.post(url, {"tax_id": "12-345", "postal_code": "9810",
                           f"payer_{world.payer.pk}": "00 430"})
    assert bad.status_code == 400
    errors = bad.context["form"].errors
    assert {"tax_id", "postal_code", f"payer_{world.payer.pk}"} <= set(errors)
    assert not ClaimSetup.objects.exists()
    good = admin.post(url, {"tax_id": "123456789", "address_line1": "12 Pine St",
                            "city": "Seattle", "state": "WA", "postal_code": "98101-1234",
                            "submitter_id": "ACUBACK01", "receiver_name": "Clearing House",
                            "receiver_id": "CLEARHOUSE", f"payer_{world.payer.pk}": "00430"})
    assert good.status_code == 302
    world.payer.refresh_from_db()
    assert world.payer.electronic_payer_id == "00430"
    assert claims.setup_missing(claims.setup_for(world.clinic)) == []
    assert AuditEvent.objects.filter(action="billing.claim_setup_save").exists()


def test_names_and_addresses_outside_ascii_go_into_a_valid_837p(medicare_patient):
    """X12 carries the basic character set only: an accented name or address is written
    without its accents (pyx12 refused MÜLLER as an invalid character), delimiters never."""
    world = medicare_patient
    set_up_for_claims(world)
    Patient.objects.filter(pk=world.patient.pk).update(
        given_name="Zoë", family_name="Ødegård-Müller*", address_line1="2 Élm St ~ #3")
    visit(world, DAY)
    (claim,) = prepare(world)
    document = submit(world, [claim]).x12
    assert x12.problems(document) == []
    assert "NM1*IL*1*ODEGARD-MULLER*ZOE****MI*1EG4TE5MK73~" in document
    assert "N3*2 ELM ST #3~" in document
