"""The clinic's settings rows (practitioners, locations, appointment types, fees, payers)
and the clinic settings: the clinic admin of this clinic changes them, through a service
that audits; another clinic's admin gets 404; bad input names the field."""

from __future__ import annotations

from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from acuback.accounts.models import Clinic, Location, Practitioner, Role
from acuback.audit.models import AuditEvent
from acuback.billing.models import FeeSchedule, Payer
from acuback.scheduling.models import AppointmentType, WeeklyAvailability
from tests.factories import make_location, make_practitioner, make_user


@pytest.fixture
def rows(world):
    """One row of each section in each clinic."""
    beta = Clinic.objects.get(memberships__user=world.outsider)
    made = {}
    for clinic in (world.clinic, beta):
        made[clinic.pk] = {
            "practitioners": Practitioner.objects.filter(clinic=clinic).first(),
            "locations": Location.objects.filter(clinic=clinic).first(),
            "appointment-types": AppointmentType.objects.create(
                clinic=clinic, name="Follow-up", kind="follow_up", duration_minutes=45),
            "fees": FeeSchedule.objects.create(clinic=clinic, code="97810", amount="80.00"),
            "payers": Payer.objects.create(clinic=clinic, name="Acme", kind="commercial"),
        }
        made[clinic.pk]["hours"] = WeeklyAvailability.objects.create(
            practitioner=made[clinic.pk]["practitioners"],
            location=made[clinic.pk]["locations"], weekday=0, start_time=time(9),
            end_time=time(17))
    world.beta = beta
    world.rows = made
    return world


SECTIONS = ["practitioners", "locations", "appointment-types", "fees", "payers", "hours"]
GOOD = {
    "practitioners": {"display_name": "Dr New", "profession": "acupuncturist", "npi": "",
                      "is_active": "on"},
    "locations": {"name": "Annex", "address_line1": "2 Side St", "city": "Chicago",
                  "country": "US", "jurisdiction": "us-il", "time_zone": "America/Chicago",
                  "is_active": "on"},
    "appointment-types": {"name": "Long", "kind": "initial", "duration_minutes": "90",
                          "buffer_minutes": "10", "bookable_online": "on", "is_active": "on"},
    "fees": {"code": "97813", "amount": "95.50"},
    "payers": {"name": "Medicare", "kind": "medicare", "year_convention": "calendar",
               "min_minutes_per_unit": "15"},
    "hours": {"weekday": "2", "start_time": "08:00", "end_time": "12:00"},
}
BAD = {  # field -> a value the model refuses, and the words of the refusal
    "practitioners": ("npi", "123", b"NPI"),
    "locations": ("time_zone", "Mars/Olympus", b"time zone"),
    "appointment-types": ("duration_minutes", "1", b"greater than or equal to 5"),
    "fees": ("amount", "-1", b"greater than or equal to 0"),
    "payers": ("kind", "barter", b"Select a valid choice"),
    "hours": ("end_time", "07:00", b"The end is before the start"),
}


def _good(world, section: str, clinic=None) -> dict:
    data = dict(GOOD[section])
    if section == "hours":  # this clinic's practitioner at this clinic's location
        own = world.rows[(clinic or world.clinic).pk]
        data.update(practitioner=own["practitioners"].pk, location=own["locations"].pk)
    return data


def _count_rows(section: str, clinic) -> int:
    from acuback.clinicadmin.views import _rows_of

    return _rows_of(section, clinic).count()


@pytest.mark.parametrize("section", SECTIONS)
def test_the_clinic_admin_adds_a_row_to_their_clinic(rows, login, section):
    model = type(rows.rows[rows.clinic.pk][section])
    before = _count_rows(section, rows.clinic)
    response = login(rows.admin).post(reverse("clinic_rows", args=[section]),
                                      _good(rows, section))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _count_rows(section, rows.clinic) == before + 1
    event = AuditEvent.objects.filter(actor=rows.admin, clinic=rows.clinic).latest("pk")
    assert event.detail["created"] is True and event.target.startswith(model._meta.label_lower)


@pytest.mark.parametrize("section", SECTIONS)
def test_bad_input_names_the_field_and_saves_nothing(rows, login, section):
    model = type(rows.rows[rows.clinic.pk][section])
    before = model.objects.count()
    field, value, words = BAD[section]
    response = login(rows.admin).post(reverse("clinic_rows", args=[section]),
                                      {**_good(rows, section), field: value})
    assert response.status_code == 400 and words in response.content
    assert f'id="id_{field}_error"'.encode() in response.content
    assert model.objects.count() == before


@pytest.mark.parametrize("section", SECTIONS)
def test_the_clinic_admin_changes_a_row_and_another_clinics_admin_gets_404(rows, login,
                                                                          section):
    own = rows.rows[rows.clinic.pk][section]
    theirs = rows.rows[rows.beta.pk][section]
    client = login(rows.admin)
    assert client.get(reverse("clinic_row_edit", args=[section, own.pk])).status_code == 200
    assert client.get(reverse("clinic_row_edit", args=[section, theirs.pk])).status_code == 404
    assert client.post(reverse("clinic_row_edit", args=[section, theirs.pk]),
                       _good(rows, section)).status_code == 404
    beta_admin = make_user(rows.beta, Role.CLINIC_ADMIN, "beta_admin")
    assert login(beta_admin).get(
        reverse("clinic_row_edit", args=[section, own.pk])).status_code == 404
    page = login(beta_admin).get(reverse("clinic_rows", args=[section])).content.decode()
    assert f"/clinic/{section}/{own.pk}/" not in page


def test_a_change_is_audited_with_the_fields_that_changed(rows, login):
    fee = rows.rows[rows.clinic.pk]["fees"]
    login(rows.admin).post(reverse("clinic_row_edit", args=["fees", fee.pk]),
                           {"code": "97810", "amount": "82.00"})
    fee.refresh_from_db()
    assert str(fee.amount) == "82.00"
    assert AuditEvent.objects.get(action="fee.save").detail == {"created": False,
                                                                "fields": ["amount"]}


def test_a_practitioners_login_and_supervisor_are_chosen_from_this_clinic_only(rows, login):
    other_supervisor = make_practitioner(rows.beta, licence_in=None)
    other_supervisor.profession = "physician"
    other_supervisor.save()
    response = login(rows.admin).post(reverse("clinic_rows", args=["practitioners"]), {
        **GOOD["practitioners"], "user": rows.outsider.pk})
    assert response.status_code == 400 and b"Select a valid choice" in response.content
    response = login(rows.admin).post(reverse("clinic_rows", args=["practitioners"]), {
        **GOOD["practitioners"], "supervisor": other_supervisor.pk})
    assert response.status_code == 400 and b"Select a valid choice" in response.content


def test_hours_are_set_only_with_this_clinics_practitioners_and_locations(rows, login):
    theirs = rows.rows[rows.beta.pk]
    client = login(rows.admin)
    for field in ("practitioner", "location"):
        response = client.post(reverse("clinic_rows", args=["hours"]), {
            **_good(rows, "hours"), field: theirs[f"{field}s"].pk})
        assert response.status_code == 400 and b"Select a valid choice" in response.content


def test_the_questionnaire_schedule_starts_from_the_default_and_is_saved(world, login):
    from acuback.outcomes.schedule import DEFAULT_BASELINE, schedule_for

    client = login(world.admin)
    page = client.get(reverse("clinic_questionnaires")).content.decode()
    assert 'value="odi" id="id_baseline_' in page and "checked" in page
    data = {"baseline": ["nrs", "odi"], "review": ["nrs"], "discharge": ["nrs"],
            "follow_up": ["nrs"], "review_every_sessions": "3", "review_every_days": "21",
            "not_improving_after_sessions": "6", "link_valid_days": "7"}
    assert client.post(reverse("clinic_questionnaires"), data).status_code == 302
    schedule = schedule_for(world.clinic)
    assert schedule.baseline == ("nrs", "odi") and schedule.review_every_days == 21
    assert schedule.baseline != DEFAULT_BASELINE
    response = client.post(reverse("clinic_questionnaires"), {**data, "review": ["tarot"]})
    assert response.status_code == 400 and b'id="id_review_error"' in response.content
    assert AuditEvent.objects.filter(action="questionnaire_schedule.save").count() == 1


def test_a_new_consent_text_is_a_new_version_and_the_signed_one_is_kept(
        world_with_consent, login):
    from acuback.patients.models import Consent, ConsentForm

    world = world_with_consent
    old = world.consent_form
    signed_hash = world.consent.text_sha256
    client = login(world.admin)
    data = {"kind": "treatment", "version": "2", "title": "Consent, revised",
            "body": "The revised text: bruising, soreness, fainting, pneumothorax, infection, "
                    "a retained needle."}
    assert client.post(reverse("clinic_consent_forms"), data).status_code == 302
    current = ConsentForm.objects.get(clinic=world.clinic, kind="treatment", is_current=True)
    assert (current.version, current.body) == ("2", data["body"])
    old.refresh_from_db()
    assert not old.is_current and old.body == "Text of the treatment form."
    assert Consent.objects.get(pk=world.consent.pk).text_sha256 == signed_hash
    event = AuditEvent.objects.get(action="consent_form.publish")
    assert event.detail["replaces"] == ["1"] and event.detail["sha256"] == current.text_sha256
    # the same version twice is refused, naming the field, and nothing changes
    response = client.post(reverse("clinic_consent_forms"), {**data, "body": data["body"] + " 2"})
    assert response.status_code == 400 and b'id="id_version_error"' in response.content
    assert ConsentForm.objects.filter(clinic=world.clinic, kind="treatment").count() == 2
    # another clinic's forms are not listed
    beta_form = ConsentForm.objects.create(clinic=Clinic.objects.get(
        memberships__user=world.outsider), kind="treatment", version="B9",
        title="Beta's own consent", body="x")
    assert beta_form.title.encode() not in client.get(reverse("clinic_consent_forms")).content


def test_an_unknown_section_is_404_for_the_admin_and_403_for_others(world, login):
    assert login(world.admin).get("/clinic/nothing/").status_code == 404
    assert login(world.front_desk).get("/clinic/nothing/").status_code == 403


def test_the_clinic_settings_are_changed_and_audited(world, login):
    response = login(world.admin).post(reverse("clinic_admin"), {
        "name": world.clinic.name, "time_zone": "America/Chicago",
        "reminder_hours_before": "48", "cancellation_notice_hours": "12",
        "record_retention_years": "7", "pregnancy_blocks_lumbosacral": "True"})
    assert response.status_code == 302
    world.clinic.refresh_from_db()
    assert (world.clinic.reminder_hours_before, world.clinic.cancellation_notice_hours,
            world.clinic.record_retention_years) == (48, 12, 7)
    assert set(AuditEvent.objects.get(action="clinic.settings").detail["fields"]) == {
        "reminder_hours_before", "cancellation_notice_hours", "record_retention_years"}
    response = login(world.admin).post(reverse("clinic_admin"), {
        "name": world.clinic.name, "time_zone": "America/Chicago",
        "reminder_hours_before": "48", "cancellation_notice_hours": "12",
        "record_retention_years": "0", "pregnancy_blocks_lumbosacral": "True"})
    assert response.status_code == 400 and b'id="id_record_retention_years_error"' in \
        response.content


# --- query counts: no queries per row ------------------------------------------------------------

def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def _grow(world, k: int) -> None:
    from acuback.audit.services import audit_record
    from tests.factories import request_for

    for n in range(k):
        user = make_user(world.clinic, Role.PRACTITIONER, f"grow{k}_{n}")
        make_practitioner(world.clinic, user)
        make_location(world.clinic)
        AppointmentType.objects.create(clinic=world.clinic, name=f"T{k}{n}", kind="follow_up",
                                       duration_minutes=30)
        FeeSchedule.objects.create(clinic=world.clinic, code=f"X{k}{n}", amount="1.00")
        Payer.objects.create(clinic=world.clinic, name=f"P{k}{n}", kind="commercial")
        WeeklyAvailability.objects.create(practitioner=user.practitioner,
                                          location=world.location, weekday=n % 7,
                                          start_time=time(9), end_time=time(12))
        audit_record(request=request_for(user), action="page.view", patient=world.patient)


@pytest.mark.parametrize("url", [
    "/clinic/", "/clinic/staff/", "/clinic/audit/", "/clinic/questionnaires/",
    "/clinic/consent-forms/", "/clinic/audit/export.csv",
    *[f"/clinic/{s}/" for s in SECTIONS]])
def test_the_admin_pages_cost_the_same_with_more_rows(world, login, url):
    client = login(world.admin)
    _grow(world, 1)
    _count(client, url)
    before = _count(client, url)
    _grow(world, 6)
    after = _count(client, url)
    assert after <= before, f"{url}: {before} queries, then {after} with more rows"


def test_the_service_refuses_rows_pointing_at_another_clinic(rows):
    """Beyond the forms' choices: the one service refuses a row of another clinic, or one
    that points at another clinic's rows or people."""
    from django.core.exceptions import PermissionDenied

    from acuback.accounts.services import clinic_row_save
    from tests.factories import request_for

    request = request_for(rows.admin)
    theirs = rows.rows[rows.beta.pk]
    own = rows.rows[rows.clinic.pk]
    unlinked = Practitioner.objects.create(clinic=rows.clinic, display_name="Not yet linked",
                                           profession="acupuncturist")
    cases = [
        (theirs["fees"], {"amount": "1.00"}),                       # their row
        (own["hours"], {"location": theirs["locations"]}),          # points at their row
        (unlinked, {"user": rows.outsider}),                        # their person
        (unlinked, {"user": rows.patient_user}),                    # a patient
    ]
    for instance, data in cases:
        with pytest.raises(PermissionDenied):
            clinic_row_save(clinic=rows.clinic, instance=instance, data=data,
                            action="x.save", request=request)
    assert not AuditEvent.objects.filter(action="x.save").exists()
    assert str(FeeSchedule.objects.get(pk=theirs["fees"].pk).amount) == "80.00"


def test_a_practitioner_records_account_cannot_be_relinked_to_another_account(rows, login):
    # Found by an attacker (issue #25 §1 re-test): relinking Sarah Whitfield's record to an
    # account the admin controlled let that account sign notes as her, with her licence.
    from acuback.accounts.services import clinic_row_save

    theirs = rows.rows[rows.clinic.pk]["practitioners"]
    owner = theirs.user
    puppet = make_user(rows.clinic, Role.PRACTITIONER, "puppet")
    url = reverse("clinic_row_edit", args=["practitioners", theirs.pk])
    client = login(rows.admin)
    page = client.get(url).content.decode()
    assert 'name="user"' in page and "disabled" in page.split('name="user"')[1].split(">")[0]
    response = client.post(url, {"display_name": theirs.display_name, "profession":
                                 theirs.profession, "npi": theirs.npi, "user": puppet.pk,
                                 "is_active": "on"})
    theirs.refresh_from_db()
    assert theirs.user == owner  # the posted account is ignored
    from tests.factories import request_for

    for value in (puppet, None):  # and the service refuses it from any caller
        request = request_for(rows.admin)
        with pytest.raises(Exception, match="cannot be changed"):
            clinic_row_save(clinic=rows.clinic, instance=theirs, action="practitioner.save",
                            data={"user": value}, request=request)
        theirs.refresh_from_db()
        assert theirs.user == owner
    assert response.status_code in (302, 400)


def test_a_second_practitioner_record_with_a_colleagues_npi_is_refused(rows, login):
    theirs = rows.rows[rows.clinic.pk]["practitioners"]
    theirs.npi = "1234567893"  # a valid check digit
    theirs.save()
    response = login(rows.admin).post(reverse("clinic_rows", args=["practitioners"]), {
        **GOOD["practitioners"], "npi": "1234567893"})
    assert response.status_code == 400 and b"an NPI belongs to one person" in response.content
    assert Practitioner.objects.filter(npi="1234567893").count() == 1


def test_who_a_practitioner_is_is_audited_with_the_values_before_and_after(rows, login):
    theirs = rows.rows[rows.clinic.pk]["practitioners"]
    old_name = theirs.display_name
    login(rows.admin).post(reverse("clinic_row_edit", args=["practitioners", theirs.pk]), {
        "display_name": "Renamed", "profession": theirs.profession, "npi": theirs.npi,
        "is_active": "on"})
    detail = AuditEvent.objects.get(action="practitioner.save").detail
    assert detail["before"] == {"display_name": old_name}
    assert detail["after"] == {"display_name": "Renamed"}


@pytest.mark.parametrize("section, data, field", [
    # found by the re-test of issue #25 §1: each was accepted
    ("hours", {"valid_from": "2027-01-01", "valid_to": "2026-01-01"}, "valid_to"),
    ("payers", {"min_minutes_per_unit": "99999999999"}, "min_minutes_per_unit"),
    ("payers", {"min_minutes_per_unit": "0"}, "min_minutes_per_unit"),
    ("fees", {"code": "=1+1"}, "code"),
    ("fees", {"code": "9781"}, "code"),
])
def test_impossible_settings_are_refused_naming_the_field(rows, login, section, data, field):
    before = _count_rows(section, rows.clinic)
    response = login(rows.admin).post(reverse("clinic_rows", args=[section]),
                                      {**_good(rows, section), **data})
    assert response.status_code == 400
    assert f'id="id_{field}_error"'.encode() in response.content
    assert _count_rows(section, rows.clinic) == before


def test_an_admin_sets_no_temporary_password_on_their_own_account(world, login):
    # Anyone at an unattended admin session could have taken the account: one's own
    # password changes on the password page, which asks for the current one.
    password = world.admin.password
    response = login(world.admin).post(
        reverse("clinic_staff_password", args=[world.admin.pk]),
        {"password": "A-new-own-password-2026"}, follow=True)
    world.admin.refresh_from_db()
    assert world.admin.password == password and not world.admin.must_change_password
    assert b"Change your own password on the Change password page" in response.content
    assert not AuditEvent.objects.filter(action="staff.password_set").exists()
