from __future__ import annotations

from datetime import date, time, timedelta

import pytest

pytestmark = pytest.mark.e2e


def test_visit_13_warns_until_improvement_is_documented_then_books_with_kx(world, page, log_in):
    from django.utils import timezone

    from acuback.accounts.models import Credential, Practitioner, Supervision
    from acuback.billing.models import CoveragePlan, FeeSchedule, Payer
    from acuback.outcomes import services as outcomes
    from acuback.scheduling.models import AppointmentType, WeeklyAvailability
    from tests.factories import make_episode, make_practitioner, make_signed_visit, request_for

    payer = Payer.objects.create(clinic=world.clinic, name="Medicare", kind="medicare",
                                 covered_diagnoses=["M54.50"],
                                 covered_diagnoses_source="test fixture")
    CoveragePlan.objects.create(patient=world.patient, payer=payer, member_id="1EG4TE5MK73",
                                effective_from=date(2025, 1, 1))
    FeeSchedule.objects.create(clinic=world.clinic, code="97810", amount="80.00")
    today = timezone.localdate()
    episode = make_episode(world.patient, world.practitioner,
                           onset_date=today - timedelta(weeks=30), diagnosis_codes=["M54.50"])
    # The acupuncturist bills incident-to a supervising physician (NCD 30.3.3).
    Credential.objects.create(practitioner=world.practitioner_record, kind="degree",
                              issuer="A school", jurisdiction="US-IL", degree_level="masters",
                              degree_field="acupuncture", accreditor="ACAHM")
    doctor = make_practitioner(world.clinic)
    Practitioner.objects.filter(pk=doctor.pk).update(profession="physician", npi="1234567893")
    Supervision.objects.create(supervisee=world.practitioner_record, supervisor=doctor)
    for i in range(12):
        make_signed_visit(world.patient, world.practitioner_record, world.location,
                          episode=episode, day=today - timedelta(days=80 - 6 * i))
    outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                           time_point="baseline", answers={1: 7}, submit=True,
                           completed_by="staff", request=request_for(world.practitioner))
    kind = AppointmentType.objects.create(clinic=world.clinic, name="Follow-up",
                                          kind="follow_up", duration_minutes=45)
    for weekday in range(7):
        WeeklyAvailability.objects.create(practitioner=world.practitioner_record,
                                          location=world.location, weekday=weekday,
                                          start_time=time(9), end_time=time(12))
    day = today + timedelta(days=1)
    query = (f"/calendar/book/?patient={world.patient.pk}&practitioner="
             f"{world.practitioner_record.pk}&location={world.location.pk}&type={kind.pk}"
             f"&day={day.isoformat()}")

    # Front desk: visit 13 without documented improvement is flagged.
    log_in("alpha_desk")
    page.goto(query)
    coverage = page.text_content("[aria-label=Coverage]")
    assert "Medicare · visit 13" in coverage and "need documented improvement" in coverage
    page.click("button:has-text('Log out')")

    # Practitioner documents the improvement (pain 7 -> 3 on the review).
    log_in("alpha_prac")
    page.goto(f"/patients/{world.patient.pk}/episodes/{episode.pk}/outcomes/nrs/"
              "?time_point=review")
    page.check("input[name=item_1][value='3']")
    page.click("button:has-text('Submit')")
    page.click("button:has-text('Log out')")

    # Front desk again: no warning, KX on the next visit; the booking goes through.
    log_in("alpha_desk")
    page.goto(query)
    coverage = page.text_content("[aria-label=Coverage]")
    assert "billed with KX" in coverage and "need documented improvement" not in coverage
    page.check("input[name=start] >> nth=0")
    page.click("button:has-text('Book')")
    assert "Booked Alice Archer" in page.text_content(".messages")

    # Visit 13 is treated and signed; the superbill carries KX.
    make_signed_visit(world.patient, world.practitioner_record, world.location,
                      episode=episode, day=day)
    page.goto(f"/patients/{world.patient.pk}/superbill/?from={day.isoformat()}"
              f"&to={day.isoformat()}")
    row = page.locator("table.list tbody tr").first.text_content()
    assert "97810" in row and "KX" in row


def test_the_biller_sends_a_claim_and_posts_the_835_end_to_end(world, page, log_in, tmp_path):
    """Issue #29 §2 as a biller does it: the insurance on the patient's page, the claim
    set-up, Billing -> Claims (prepare, send), the 837P offered, the payer's 835 uploaded
    and posted, the claim paid."""
    from datetime import datetime
    from decimal import Decimal

    from acuback.accounts.models import Credential, Practitioner, Supervision
    from acuback.billing import x12
    from acuback.billing.models import Claim, FeeSchedule, Payer
    from acuback.patients.models import Patient
    from tests.factories import make_episode, make_practitioner, make_signed_visit

    payer = Payer.objects.create(clinic=world.clinic, name="Medicare", kind="medicare",
                                 covered_diagnoses=["M54.50"],
                                 covered_diagnoses_source="test fixture")
    FeeSchedule.objects.create(clinic=world.clinic, code="97810", amount="80.00")
    Patient.objects.filter(pk=world.patient.pk).update(
        address_line1="4 Elm St", city="Seattle", region="WA", postal_code="98102")
    Credential.objects.create(practitioner=world.practitioner_record, kind="degree",
                              issuer="A school", jurisdiction="US-IL", degree_level="masters",
                              degree_field="acupuncture", accreditor="ACAHM")
    doctor = make_practitioner(world.clinic)
    Practitioner.objects.filter(pk=doctor.pk).update(profession="physician", npi="1234567893",
                                                     display_name="Dr Ann Porter")
    Supervision.objects.create(supervisee=world.practitioner_record, supervisor=doctor)
    day = date(2026, 3, 2)
    episode = make_episode(world.patient, world.practitioner,
                           onset_date=day - timedelta(weeks=30), diagnosis_codes=["M54.50"])
    make_signed_visit(world.patient, world.practitioner_record, world.location,
                      episode=episode, day=day)

    # The first claim loads the ICD-10-CM code set and the first file pyx12's maps (some
    # seconds on a busy machine): longer waits than the default for this journey.
    page.set_default_timeout(60_000)
    log_in("alpha_admin")
    # The insurance, on the patient's page.
    page.goto(f"/patients/{world.patient.pk}/coverage/")
    page.select_option("#id_payer", str(payer.pk))
    page.fill("#id_member_id", "1EG4TE5MK73")
    page.fill("#id_effective_from", "2025-01-01")
    page.click("button:has-text('Save insurance')")
    assert "Insurance saved" in page.text_content(".messages")
    # The clinic's sender details and the payer's ID.
    page.goto("/billing/")
    page.click("a:has-text('Claim set-up')")
    for field, value in (("tax_id", "123456789"), ("address_line1", "12 Pine St"),
                         ("city", "Seattle"), ("state", "WA"), ("postal_code", "98101-1234"),
                         ("submitter_id", "ACUBACK01"), ("receiver_name", "Clearing House"),
                         ("receiver_id", "CLEARHOUSE"), (f"payer_{payer.pk}", "00430")):
        page.fill(f"#id_{field}", value)
    page.click("button:has-text('Save')")
    assert "Claim set-up saved" in page.text_content(".messages")
    # Claims: prepare from the record, send the ready one.
    page.goto("/billing/")
    page.click("a:has-text('Claims')")
    page.fill("#from", "2026-03-01")
    page.fill("#to", "2026-03-31")
    page.click("button:has-text('Prepare claims')")
    assert "1 claim prepared" in page.text_content(".messages")
    claim = Claim.objects.get()
    page.check(f"#send-{claim.pk}")
    page.click("button:has-text('Send the chosen ready claims')")
    assert "passed the X12 validator" in page.text_content(".messages")
    with page.expect_download() as download:
        page.click("a:has-text('837P file')")
    document = download.value.path().read_text()
    assert x12.problems(document) == [] and f"CLM*{claim.number}*80*" in document
    # The payer's 835 comes back: posted to the claim.
    remittance = x12.remittance_file(
        x12.Envelope("MEDICARE01", "ACUBACK01", x12.Party("MEDICARE", person=False), "", "",
                     x12.Party("ACUBACK", person=False), 9, datetime(2026, 4, 1, 9, 0)),
        x12.Remittance("EFT777", "1999999999", "MEDICARE", Decimal("51.20"), date(2026, 4, 1),
                       [x12.ClaimPaid(claim.number, "1", Decimal("80"), Decimal("51.20"),
                                      Decimal("12.80"), "ICN1",
                                      [x12.Adjustment("CO", "45", Decimal("16"), "97810"),
                                       x12.Adjustment("PR", "2", Decimal("12.80"), "97810")],
                                      [("97810", Decimal("80"), Decimal("51.20"))])]),
        x12.Party("PORTER", id_qualifier="XX", identifier="1234567893"))
    upload = tmp_path / "remit.835"
    upload.write_text(remittance)
    page.click("a:has-text('Remittances (835)')")
    page.set_input_files("#id_file", str(upload))
    page.click("button:has-text('Import and post')")
    assert "835 EFT777 posted" in page.text_content(".messages")
    assert "$51.20" in page.text_content("table.list")
    page.click(f"a:has-text('{claim.number}')")
    assert "Paid" in page.text_content("main")
    assert "CO-45" in page.text_content("main") and "PR-2" in page.text_content("main")
