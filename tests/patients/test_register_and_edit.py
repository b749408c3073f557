from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from acuback.audit.models import AuditEvent
from acuback.patients.models import Patient
from tests.factories import make_patient

VALID = {
    "given_name": "Nora", "family_name": "Quinn", "date_of_birth": "1975-02-03",
    "email": "nora@example.com", "phone": "+1 312 555 0199", "preferred_language": "English",
}


@pytest.fixture
def desk(world, login):
    return login(world.front_desk)


def test_front_desk_registers_a_patient_and_gets_a_numbered_mrn(world, desk):
    response = desk.post(reverse("patient_create"), VALID)
    patient = Patient.objects.get(family_name="Quinn")
    assert response.status_code == 302
    assert response["Location"] == reverse("patient_chart", args=[patient.pk])
    assert patient.clinic == world.clinic
    assert patient.mrn == "100001"
    assert AuditEvent.objects.filter(action="patient.create", patient=patient,
                                     actor=world.front_desk).count() == 1


def test_generated_mrns_skip_numbers_already_taken(world, desk):
    make_patient(world.clinic, mrn="100001")
    desk.post(reverse("patient_create"), VALID)
    assert Patient.objects.get(family_name="Quinn").mrn == "100002"


def test_a_duplicate_mrn_is_refused_on_its_field(world, desk):
    response = desk.post(reverse("patient_create"), {**VALID, "mrn": world.patient.mrn.lower()})
    assert response.status_code == 200
    assert "already used by another patient" in response.context["form"].errors["mrn"][0]
    assert not Patient.objects.filter(family_name="Quinn").exists()


def test_the_same_mrn_is_fine_in_another_clinic(world, login):
    client = login(world.outsider)
    response = client.post(reverse("patient_create"), {**VALID, "mrn": world.patient.mrn})
    assert response.status_code == 302


def test_a_date_of_birth_in_the_future_is_refused(desk):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = desk.post(reverse("patient_create"), {**VALID, "date_of_birth": tomorrow})
    assert response.context["form"].errors["date_of_birth"] == [
        "Date of birth cannot be in the future."]


@pytest.mark.parametrize("field, value, message", [
    ("email", "nora@", "Enter a valid email address."),
    ("date_of_birth", "31/31/1990", "Enter a valid date."),
    ("date_of_birth", "1850-01-01", "more than 125 years ago"),
    ("phone", "call me maybe", "digits, spaces"),
    ("given_name", "", "This field is required."),
    ("mrn", "A B/C", "letters, digits and hyphens"),
    ("sex_at_birth", "robot", "Select a valid choice"),
])
def test_bad_input_is_named_on_its_field(desk, field, value, message):
    response = desk.post(reverse("patient_create"), {**VALID, field: value})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert 'class="error"' in response.content.decode()


def test_an_emergency_contact_needs_a_phone(desk):
    response = desk.post(reverse("patient_create"), {**VALID, "emergency_contact_name": "Sam"})
    assert response.context["form"].errors["emergency_contact_phone"]


def test_editing_saves_and_bumps_the_version(world, desk):
    url = reverse("patient_edit", args=[world.patient.pk])
    data = {**VALID, "mrn": world.patient.mrn, "version": world.patient.version}
    assert desk.post(url, data).status_code == 302
    world.patient.refresh_from_db()
    assert (world.patient.given_name, world.patient.version) == ("Nora", 2)
    event = AuditEvent.objects.get(action="patient.update")
    assert "given_name" in event.detail["fields"]


def test_an_edit_from_a_stale_page_is_refused_not_merged(world, desk):
    url = reverse("patient_edit", args=[world.patient.pk])
    stale = {**VALID, "mrn": world.patient.mrn, "version": world.patient.version}
    desk.post(url, {**stale, "phone": "+1 312 555 0001"})
    response = desk.post(url, {**stale, "phone": "+1 312 555 0002"})
    assert response.status_code == 200
    assert "Someone else changed this patient" in response.content.decode()
    world.patient.refresh_from_db()
    assert world.patient.phone == "+1 312 555 0001"


def test_a_patient_of_another_clinic_cannot_be_edited(world, desk):
    url = reverse("patient_edit", args=[world.outsider_patient.pk])
    assert desk.post(url, VALID).status_code == 404
    world.outsider_patient.refresh_from_db()
    assert world.outsider_patient.given_name == "Zed"


def test_the_chart_shows_who_may_treat_with_reasons(world, login):
    from tests.factories import make_practitioner

    make_practitioner(world.clinic, licence_in="US-IL", expires_in_days=-5)
    response = login(world.practitioner).get(reverse("patient_chart", args=[world.patient.pk]))
    page = response.content.decode()
    assert world.practitioner_record.display_name in page
    assert "licence for US-IL is expired" in page
    # a cleared practitioner links to their registry page; one not cleared is not linked
    cleared = reverse("practitioner_detail", args=[world.practitioner_record.pk])
    assert f'<a href="{cleared}">{world.practitioner_record.display_name}</a>' in page
    assert len(re.findall(r'href="/practitioners/\d+/"', page)) == page.count(
        'status ok">Cleared')


def test_the_chart_writes_an_audit_event_with_the_address(world, login):
    login(world.practitioner).get(reverse("patient_chart", args=[world.patient.pk]),
                                  REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action="patient.view")
    assert (event.actor, event.patient, event.ip_address) == (
        world.practitioner, world.patient, "10.1.2.3")


def test_front_desk_sees_no_link_to_the_clinical_record(world, desk):
    page = desk.get(reverse("patient_chart", args=[world.patient.pk])).content.decode()
    assert reverse("patient_clinical", args=[world.patient.pk]) not in page


def test_the_chart_needs_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    client = login(world.practitioner)
    url = reverse("patient_chart", args=[world.patient.pk])
    with django_assert_max_num_queries(20):  # 14 on SQLite on 2026-12-06, one audit event
        client.get(url)


def test_who_may_treat_lists_each_active_practitioner_once_with_every_credential(world):
    """The selector joins practitioners to credentials: one row per credential, or one
    with none. Each practitioner must come out once, cleared by any valid licence."""
    from acuback.accounts.models import Credential, Practitioner
    from acuback.patients.selectors import who_may_treat
    from tests.factories import make_practitioner

    today = timezone.localdate()
    two = make_practitioner(world.clinic, licence_in="US-IL", expires_in_days=-5)
    Credential.objects.create(practitioner=two, kind="licence", issuer="Board", number="L-2",
                              jurisdiction="US-IL", issued_on=today - timedelta(days=10),
                              expires_on=today + timedelta(days=300))
    none = make_practitioner(world.clinic, licence_in=None)
    gone = make_practitioner(world.clinic)
    Practitioner.objects.filter(pk=gone.pk).update(is_active=False)
    [site] = [c for c in who_may_treat(patient=world.patient, on=today)
              if c.location == world.location]
    options = {o.practitioner.pk: o for o in site.options}
    assert gone.pk not in options
    assert [o.practitioner.pk for o in site.options].count(two.pk) == 1
    assert options[two.pk].clearance.cleared  # the renewed licence, not the expired one
    assert not options[none.pk].clearance.cleared
    assert options[none.pk].practitioner.get_profession_display() == "Licensed acupuncturist"
    names = [o.practitioner.display_name for o in site.options]
    assert names == sorted(names)
