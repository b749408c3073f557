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
