"""Visit counters from signed sessions, warnings on the chart and when booking."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from acuback import signing
from acuback.accounts import zones
from acuback.billing.models import Authorisation, CoveragePlan, FeeSchedule, Payer
from acuback.billing.selectors import coverage_status
from acuback.treatment.models import Session
from tests.factories import make_episode, make_session

TODAY = None


@pytest.fixture
def medicare(world):
    payer = Payer.objects.create(clinic=world.clinic, name="Medicare", kind="medicare",
                                 covered_diagnoses=["M54.50"],
                                 covered_diagnoses_source="test list")
    CoveragePlan.objects.create(patient=world.patient, payer=payer, member_id="1EG4TE5MK73",
                                effective_from=date(2025, 1, 1))
    world.episode = make_episode(world.patient, world.practitioner,
                                 onset_date=timezone.localdate() - timedelta(weeks=30),
                                 diagnosis_codes=["M54.50"])
    return world


def signed_visits(world, n, start_days_ago):
    for i in range(n):
        session = make_session(world.patient, world.practitioner_record, world.location,
                               episode=world.episode)
        with signing.signing():  # arranging data signed earlier
            Session.objects.filter(pk=session.pk).update(
                status="signed", signed_at=timezone.now(),
                session_date=timezone.localdate() - timedelta(days=start_days_ago - i * 6))


def test_visit_13_without_improvement_warns_and_expects_gz(medicare):
    signed_visits(medicare, 12, start_days_ago=80)
    status = coverage_status(patient=medicare.patient, on=timezone.localdate())
    assert status.label == "Medicare · visit 13" and status.modifiers == ("GZ",)
    assert "need documented improvement" in status.warnings[0]


def test_visit_13_with_documented_improvement_carries_kx(medicare):
    from acuback.outcomes import services
    from tests.factories import request_for

    signed_visits(medicare, 12, start_days_ago=80)
    request = request_for(medicare.practitioner)
    for time_point, value in (("baseline", 7), ("review", 3)):
        services.response_save(patient=medicare.patient, episode=medicare.episode,
                               instrument_id="nrs", time_point=time_point, answers={1: value},
                               submit=True, completed_by="staff", request=request)
    status = coverage_status(patient=medicare.patient, on=timezone.localdate())
    assert status.modifiers == ("KX",) and status.warnings == ()


def test_a_pregnancy_related_episode_is_not_eligible(medicare):
    medicare.episode.related_to_pregnancy = True
    medicare.episode.save()
    status = coverage_status(patient=medicare.patient, on=timezone.localdate())
    assert any("pregnancy" in w for w in status.warnings)


def test_the_unloaded_cms_list_is_said_plainly(medicare):
    Payer.objects.update(covered_diagnoses=None)
    status = coverage_status(patient=medicare.patient, on=timezone.localdate())
    assert any("held: configure the CMS NCD 30.3.3 diagnosis list" in w
               for w in status.warnings)


def test_a_commercial_plan_counts_against_its_limit(world):
    payer = Payer.objects.create(clinic=world.clinic, name="Acme Health", kind="commercial")
    CoveragePlan.objects.create(patient=world.patient, payer=payer, visit_limit=2,
                                effective_from=date(2025, 1, 1))
    world.episode = make_episode(world.patient, world.practitioner)
    signed_visits(world, 2, start_days_ago=10)
    status = coverage_status(patient=world.patient, on=timezone.localdate())
    assert status.used == 2 and "used up" in status.warnings[0]


def test_the_chart_and_the_booking_page_show_the_warning(medicare, login):
    signed_visits(medicare, 12, start_days_ago=80)
    client = login(medicare.front_desk)
    chart = client.get(reverse("patient_chart", args=[medicare.patient.pk])).content.decode()
    assert "Medicare · visit 13" in chart and "need documented improvement" in chart
    from acuback.scheduling.models import AppointmentType

    kind = AppointmentType.objects.create(clinic=medicare.clinic, name="Follow-up",
                                          kind="follow_up", duration_minutes=45)
    page = client.get(reverse("appointment_book"), {
        "patient": medicare.patient.pk, "practitioner": medicare.practitioner_record.pk,
        "location": medicare.location.pk, "type": kind.pk,
        "day": (timezone.localdate() + timedelta(days=1)).isoformat()}).content.decode()
    assert "need documented improvement" in page


@pytest.mark.parametrize("model, fields, field", [
    (Authorisation, {"visits": -1, "valid_from": date(2026, 1, 1),
                     "expires_on": date(2026, 6, 1)}, "visits"),
    (FeeSchedule, {"code": "97810", "amount": -5}, "amount"),
])
def test_negative_counts_and_fees_are_refused(world, model, fields, field):
    if model is Authorisation:
        payer = Payer.objects.create(clinic=world.clinic, name="P", kind="commercial")
        fields["plan"] = CoveragePlan.objects.create(patient=world.patient, payer=payer,
                                                     effective_from=date(2026, 1, 1))
    else:
        fields["clinic"] = world.clinic
    with pytest.raises(ValidationError) as excinfo:
        model(**fields).full_clean()
    assert field in excinfo.value.message_dict


def test_overlapping_periods_of_one_payer_are_refused(world):
    payer = Payer.objects.create(clinic=world.clinic, name="P", kind="commercial")
    CoveragePlan.objects.create(patient=world.patient, payer=payer,
                                effective_from=date(2026, 1, 1), effective_to=date(2026, 12, 31))
    overlapping = CoveragePlan(patient=world.patient, payer=payer,
                               effective_from=date(2026, 6, 1))
    with pytest.raises(ValidationError) as excinfo:
        overlapping.full_clean()
    assert "overlaps" in excinfo.value.message_dict["effective_from"][0]


def test_a_signed_abn_turns_gz_into_ga(medicare):
    from acuback.billing.models import Abn

    signed_visits(medicare, 12, start_days_ago=80)
    Abn.objects.create(patient=medicare.patient, visit_date=timezone.localdate(),
                       reason="Visit 13 without documented improvement",
                       signature_name="Alice Archer")
    status = coverage_status(patient=medicare.patient, on=timezone.localdate())
    assert status.modifiers == ("GA",) and "billed with GA" in status.warnings[0]


def test_the_day_view_flags_visit_13_for_medicare(medicare, login):
    from tests.factories import make_appointment

    signed_visits(medicare, 12, start_days_ago=80)
    appointment = make_appointment(medicare)
    day = zones.local(appointment.start, appointment.location).date()  # the calendar's day
    page = login(medicare.front_desk).get(reverse("calendar_day"), {"date": day.isoformat()})
    [entry] = page.context["entries"]
    assert "Medicare: visit 13 needs documented improvement (KX)" in entry.due


def test_the_chart_shows_the_initial_window(medicare, login):
    signed_visits(medicare, 3, start_days_ago=20)
    page = login(medicare.front_desk).get(reverse("patient_chart", args=[medicare.patient.pk]))
    assert "initial 90-day window ends" in page.content.decode()


def test_the_dashboard_lists_open_episodes_near_a_coverage_limit_and_no_others(medicare,
                                                                                 login):
    from acuback.patients.models import EpisodeOfCare

    signed_visits(medicare, 12, start_days_ago=80)
    other_payer = Payer.objects.create(clinic=medicare.clinic, name="Acme", kind="commercial")
    CoveragePlan.objects.create(patient=medicare.other_patient, payer=other_payer,
                                effective_from=date(2025, 1, 1), visit_limit=0)
    discharged = make_episode(medicare.other_patient, medicare.practitioner)
    EpisodeOfCare.objects.filter(pk=discharged.pk).update(status="discharged")

    def flagged():
        page = login(medicare.admin).get(reverse("insights_dashboard"))
        return set(page.context["coverage_flags"])

    assert flagged() == {medicare.patient.pk}  # the other patient's only episode is closed
    open_episode = make_episode(medicare.other_patient, medicare.practitioner)
    assert flagged() == {medicare.patient.pk, medicare.other_patient.pk}
    EpisodeOfCare.objects.filter(pk=open_episode.pk).update(status="discharged")
    assert flagged() == {medicare.patient.pk}
