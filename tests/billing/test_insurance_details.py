"""Insurance details (issue #28 §4): payer, member ID, group number and the subscriber,
captured at registration, edited by the front desk, each bad field named; shown on the
superbill (and used by the 837P: tests/billing/test_claim_file.py)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from acuback.audit.models import AuditEvent
from acuback.billing.models import CoveragePlan, Payer


@pytest.fixture
def payer(world):
    return Payer.objects.create(clinic=world.clinic, name="Cascade Health Plan",
                                kind="commercial")


def _plan(payer, **fields):
    return {"payer": payer.pk, "plan_name": "PPO", "member_id": "CHP-204-1177",
            "group_number": "G-77", "priority": 1, "effective_from": "2026-01-01",
            "copay": "25.00", "subscriber_relationship": "18", **fields}


def test_the_front_desk_records_a_spouse_as_subscriber_and_it_is_audited(world, login,
                                                                          payer):
    desk = login(world.front_desk)
    response = desk.post(reverse("patient_coverage", args=[world.patient.pk]), _plan(
        payer, subscriber_relationship="01", subscriber_given_name="Sam",
        subscriber_family_name="Archer", subscriber_date_of_birth="1960-02-03"))
    assert response.status_code == 302
    plan = CoveragePlan.objects.get(patient=world.patient)
    assert (plan.member_id, plan.group_number, plan.subscriber_relationship,
            plan.subscriber_family_name, plan.subscriber_date_of_birth) == (
        "CHP-204-1177", "G-77", "01", "Archer", date(1960, 2, 3))
    assert AuditEvent.objects.filter(action="billing.coverage_save",
                                     patient=world.patient).exists()


def test_the_front_desk_edits_the_member_id(world, login, payer):
    plan = CoveragePlan.objects.create(patient=world.patient, payer=payer, member_id="OLD-1",
                                       effective_from=date(2026, 1, 1))
    desk = login(world.front_desk)
    response = desk.post(reverse("coverage_edit", args=[world.patient.pk, plan.pk]),
                         _plan(payer, member_id="NEW-2"))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.member_id == "NEW-2" and plan.group_number == "G-77"


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"member_id": ""}, "member_id", "member ID"),
    ({"member_id": "12 34/56"}, "member_id", "letters, digits"),
    ({"group_number": "G*77"}, "group_number", "group number"),
    ({"subscriber_relationship": "01"}, "subscriber_given_name", "given name"),
    ({"subscriber_relationship": "19", "subscriber_given_name": "Sam",
      "subscriber_family_name": "Archer"}, "subscriber_date_of_birth", "date of birth"),
    ({"subscriber_relationship": "19", "subscriber_given_name": "Sam",
      "subscriber_family_name": "Archer", "subscriber_date_of_birth": "2999-01-01"},
     "subscriber_date_of_birth", "future"),
    ({"subscriber_family_name": "Archer"}, "subscriber_family_name", "patient is the"),
])
def test_a_bad_insurance_field_is_named_and_nothing_is_saved(world, login, payer, fields,
                                                             field, words):
    response = login(world.front_desk).post(
        reverse("patient_coverage", args=[world.patient.pk]), _plan(payer, **fields))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and words in " ".join(errors[field])
    assert not CoveragePlan.objects.exists()


def test_registration_leads_the_desk_to_the_insurance_form(world, login):
    response = login(world.front_desk).post(reverse("patient_create"), {
        "given_name": "Nadia", "family_name": "Quill", "date_of_birth": "1951-04-05",
        "sex_at_birth": "female", "preferred_language": "English", "then": "insurance",
        "register_anyway": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].endswith("/coverage/")


def test_another_clinics_payer_cannot_be_chosen(world, login):
    from acuback.accounts.models import Clinic

    theirs = Payer.objects.create(clinic=Clinic.objects.exclude(pk=world.clinic.pk).first(),
                                  name="Theirs", kind="commercial")
    response = login(world.front_desk).post(
        reverse("patient_coverage", args=[world.patient.pk]), _plan(theirs))
    assert response.status_code == 400 and "payer" in response.context["form"].errors


def test_the_superbill_shows_the_insurance_details(world, login, payer):
    CoveragePlan.objects.create(patient=world.patient, payer=payer, member_id="CHP-9",
                                group_number="G-77", subscriber_relationship="01",
                                subscriber_given_name="Sam", subscriber_family_name="Archer",
                                subscriber_date_of_birth=date(1960, 2, 3),
                                effective_from=date(2024, 1, 1))
    page = login(world.admin).get(reverse("patient_superbill", args=[world.patient.pk]))
    text = page.content.decode()
    assert "CHP-9" in text and "G-77" in text and "Sam Archer" in text
    assert "1960-02-03" in text and "Spouse" in text


def test_the_claim_export_carries_the_insured_and_group(world, login, payer):
    """CMS-1500 boxes 4 (insured's name), 6 (relationship), 11 (group number) and 11a
    (insured's date of birth) come from the insurance details, like the 837P."""
    import csv
    import io

    from tests.factories import make_episode, make_signed_visit

    CoveragePlan.objects.create(patient=world.patient, payer=payer, member_id="CHP-9",
                                group_number="G-77", subscriber_relationship="01",
                                subscriber_given_name="Sam", subscriber_family_name="Archer",
                                subscriber_date_of_birth=date(1960, 2, 3),
                                effective_from=date(2024, 1, 1))
    episode = make_episode(world.patient, world.practitioner, diagnosis_codes=["M54.50"])
    make_signed_visit(world.patient, world.practitioner_record, world.location,
                      episode=episode, day=date(2026, 3, 2))
    response = login(world.admin).get(reverse("claim_export"),
                                      {"from": "2026-03-01", "to": "2026-03-31"})
    (row,) = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert (row["box_4_insured_name"], row["box_6_relationship"], row["box_11_group_number"],
            row["box_11a_insured_birth_date"]) == ("Archer, Sam", "spouse", "G-77",
                                                   "1960-02-03")
