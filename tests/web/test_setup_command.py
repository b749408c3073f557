"""`acuback setup` creates a clinic with its locations, first clinic admin and starting
content, from a file or flags, completely or not at all."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from acuback.accounts.models import Clinic, Location, Membership, User
from acuback.audit.models import AuditEvent
from acuback.billing.models import FeeSchedule
from acuback.outcomes.models import OutcomeSchedule
from acuback.outcomes.schedule import schedule_for
from acuback.patients.models import ConsentForm
from acuback.scheduling.models import AppointmentType

TOML = '''
[clinic]
name = "Lakeside Back Care"
slug = "lakeside"
time_zone = "America/Chicago"
reminder_hours_before = 48

[[locations]]
name = "Lakeside Main"
address_line1 = "1 Shore Rd"
city = "Evanston"
region = "IL"
jurisdiction = "us-il"

[[locations]]
name = "Lakeside West"
address_line1 = "9 Hill St"
city = "Madison"
jurisdiction = "US-WI"
time_zone = "America/Chicago"

[admin]
username = "lakeadmin"
email = "owner@lakeside.example"

[[consent_forms]]
kind = "treatment"
title = "Consent to acupuncture"
body_file = "treatment.txt"

[[appointment_types]]
name = "First visit"
kind = "initial"
duration_minutes = 75

[fees]
97810 = "85.00"
97813 = "95.00"

[questionnaire_schedule]
review_every_sessions = 3
'''


@pytest.fixture
def description(tmp_path):
    (tmp_path / "treatment.txt").write_text("Our reviewed consent text.")
    path = tmp_path / "clinic.toml"
    path.write_text(TOML)
    return path


def _run(*args) -> str:
    out = StringIO()
    call_command("setup", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_setup_from_a_file_creates_the_clinic_and_its_starting_content(description,
                                                                       settings):
    settings.ACUBACK_BASE_URL = "https://lakeside.example"
    output = _run("--file", str(description))
    clinic = Clinic.objects.get(slug="lakeside")
    assert clinic.reminder_hours_before == 48
    assert sorted(Location.objects.filter(clinic=clinic).values_list("name", "jurisdiction")) \
        == [("Lakeside Main", "US-IL"), ("Lakeside West", "US-WI")]
    admin = User.objects.get(username="lakeadmin")
    assert Membership.objects.filter(user=admin).values_list("clinic", "role").get() == (
        clinic.pk, "clinic_admin")
    # no password given: the admin chooses one from a link on the configured address
    assert not admin.has_usable_password()
    assert "https://lakeside.example/account/password/reset/" in output
    assert ConsentForm.objects.get(clinic=clinic).body == "Our reviewed consent text."
    assert list(AppointmentType.objects.filter(clinic=clinic)
                .values_list("name", "duration_minutes")) == [("First visit", 75)]
    assert {f.code: str(f.amount) for f in FeeSchedule.objects.filter(clinic=clinic)} == {
        "97810": "85.00", "97813": "95.00"}
    assert "No fee for 97811, 97814, 20560, 20561" in output  # each code it can bill
    assert schedule_for(clinic).review_every_sessions == 3
    assert AuditEvent.objects.filter(action="clinic.setup", clinic=clinic).exists()


@pytest.mark.django_db
def test_setup_from_flags_with_a_password_the_admin_must_change(tmp_path, monkeypatch,
                                                               client):
    consent = tmp_path / "c.txt"
    consent.write_text("Consent to treatment\nThe text.")
    monkeypatch.setenv("ACUBACK_SETUP_ADMIN_PASSWORD", "a-first-password-2026")
    _run("--no-input", "--clinic-name", "Flag Clinic", "--slug", "flag",
         "--time-zone", "America/Denver",
         "--location", "Main|1 Main St|Denver|CO|US-CO",
         "--admin-username", "flagadmin", "--admin-email", "a@flag.example",
         "--consent", f"treatment={consent}", "--fee", "97810=70")
    clinic = Clinic.objects.get(slug="flag")
    assert clinic.locations.get().time_zone == "America/Denver"
    assert ConsentForm.objects.get(clinic=clinic).title == "Consent to treatment"
    # the default appointment types and questionnaire schedule
    assert AppointmentType.objects.filter(clinic=clinic).count() == 3
    assert OutcomeSchedule.objects.filter(clinic=clinic).exists()
    admin = authenticate(username="flagadmin", password="a-first-password-2026")
    assert admin is not None and admin.must_change_password
    client.force_login(admin)
    response = client.get("/clinic/")
    assert response.status_code == 302 and response["Location"] == "/account/password/"


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s.replace('time_zone = "America/Chicago"\nreminder', 'time_zone = "Nowhere"'
                         '\nreminder'), "clinic: time_zone"),
    (lambda s: s.replace('jurisdiction = "US-WI"', 'jurisdiction = "WISCONSIN"'),
     "locations[2]: jurisdiction"),
    (lambda s: s.replace('97813 = "95.00"', '97813 = "lots"'), "fees.97813"),
    (lambda s: s.replace('97813 = "95.00"', '99213 = "95.00"'),
     "fees.99213: not a code the clinic can bill"),
    (lambda s: s.replace("review_every_sessions = 3", 'baseline = ["tarot"]'),
     "questionnaire_schedule: baseline"),
    (lambda s: s.replace('email = "owner@lakeside.example"', ""), "admin.email is required"),
    (lambda s: s.replace("duration_minutes = 75", "duration_minutes = 75\ncolour = 1"),
     "appointment_types[1]: unknown entry colour"),
])
def test_a_bad_description_names_the_entry_and_creates_nothing(description, change, message):
    description.write_text(change(TOML))
    with pytest.raises(CommandError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _run("--file", str(description))
    assert not Clinic.objects.exists() and not User.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_setup_refuses_a_clinic_or_admin_that_exists(description):
    _run("--file", str(description))
    with pytest.raises(CommandError, match="already exists"):
        _run("--file", str(description))
    description.write_text(TOML.replace('slug = "lakeside"', 'slug = "lakeside2"'))
    with pytest.raises(CommandError, match="'lakeadmin' is taken"):
        _run("--file", str(description))
    assert Clinic.objects.count() == 1


@pytest.mark.django_db
def test_setup_reads_json_too(tmp_path):
    path = tmp_path / "clinic.json"
    path.write_text(json.dumps({
        "clinic": {"name": "J", "slug": "j", "time_zone": "UTC"},
        "locations": [{"name": "J1", "address_line1": "x", "city": "y",
                       "jurisdiction": "US-NY"}],
        "admin": {"username": "jadmin", "email": "j@example.org"}}))
    output = _run("--file", str(path))
    assert Clinic.objects.filter(slug="j").exists()
    assert "No consent forms" in output


@pytest.mark.django_db
def test_interactive_setup_asks_for_what_it_needs(monkeypatch, tmp_path):
    consent = tmp_path / "c.txt"
    consent.write_text("Consent\nText.")
    answers = iter(["America/Chicago", "Asked Clinic", "asked", "askadmin", "a@asked.example",
                    "Main", "1 Main St", "Chicago", "IL", "US-IL", "", "n",
                    str(consent), "", "", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("os.isatty", lambda fd: False)
    _run()
    clinic = Clinic.objects.get(slug="asked")
    assert clinic.locations.get().time_zone == "America/Chicago"
    assert ConsentForm.objects.filter(clinic=clinic, kind="treatment").exists()
