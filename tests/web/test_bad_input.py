"""Malformed data posted to every form: a message, never a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuback.screening import services
from tests.factories import make_episode, request_for

junk_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", " ", "\x00", "0", "-1", "9" * 40, "2026-02-30", "1900-01-01",
                     "'; DROP TABLE patients_patient; --", "<script>alert(1)</script>",
                     "ünïcødé 名前", "a@b", "null"]),
)


def junk(fields):
    return st.fixed_dictionaries({}, optional=dict.fromkeys(fields, junk_text))


PATIENT_FIELDS = ["mrn", "given_name", "family_name", "preferred_name", "date_of_birth",
                  "sex_at_birth", "gender_identity", "email", "phone", "postal_code",
                  "emergency_contact_name", "emergency_contact_phone", "version"]
FORMS = {
    "patient_create": (lambda w: reverse("patient_create"), "front_desk", PATIENT_FIELDS),
    "patient_edit": (lambda w: reverse("patient_edit", args=[w.patient.pk]), "front_desk",
                     PATIENT_FIELDS),
    "consent_create": (lambda w: reverse("consent_create", args=[w.patient.pk]), "practitioner",
                       ["form", "signature_name", "signed_by_representative"]),
    "consent_withdraw": (lambda w: reverse("consent_withdraw", args=[w.patient.pk, 999999]),
                         "practitioner", ["reason"]),
    "credential_add": (lambda w: reverse("practitioner_detail", args=[w.practitioner_record.pk]),
                       "clinic_admin", ["kind", "issuer", "number", "jurisdiction", "status",
                                        "issued_on", "expires_on", "verified_on", "source_url"]),
    "login": (lambda w: reverse("login"), "anonymous", ["username", "password"]),
    "episode_create": (lambda w: reverse("episode_create", args=[w.patient.pk]), "practitioner",
                       ["onset_date", "pain_regions", "radiating_leg_pain", "cause",
                        "diagnosis_codes", "referral_source", "goals"]),
    "intake": (lambda w: reverse("screening_detail", args=[w.patient.pk, w.draft.pk]),
               "practitioner", ["action", "version", "saddle_numbness", "pregnant",
                                "gestational_weeks", "device_1_kind", "device_1_region",
                                "device_1_implanted_on", "device_1_removed_on",
                                "medication_classes", "skin_problem_regions", "referred_to",
                                "patient_told"]),
    "needling_check": (lambda w: reverse("needling_check", args=[w.patient.pk]), "practitioner",
                       ["location", "electroacupuncture", "points"]),
    "referral_clear": (lambda w: reverse("referral_clear", args=[w.patient.pk, w.draft.pk]),
                       "practitioner", ["kind", "note"]),
    "acknowledge": (lambda w: reverse("precautions_acknowledge", args=[w.patient.pk, w.draft.pk]),
                    "practitioner", ["text"]),
    "patient_search": (lambda w: reverse("patient_list"), "practitioner", ["q", "page"]),
    "dashboard_filter": (lambda w: reverse("insights_dashboard"), "clinic_admin",
                         ["practitioner"]),
    "calendar_filter": (lambda w: reverse("calendar_day"), "front_desk",
                        ["date", "location", "practitioner"]),
}
QUERIES = {"patient_search", "dashboard_filter", "calendar_filter"}  # asked for with GET


@pytest.mark.parametrize("name", sorted(FORMS))
def test_no_malformed_post_reaches_a_server_error(name, world, client):
    build, role, fields = FORMS[name]
    user = world.user_for(role)
    if user is not None:
        client.force_login(user)
    world.draft = services.screening_start(
        episode=make_episode(world.patient, world.practitioner), kind="intake",
        request=request_for(world.practitioner))
    url = build(world)
    method = client.get if name in QUERIES else client.post

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=junk(fields))
    def check(data):
        response = method(url, data)
        assert response.status_code < 500, (name, data)

    check()


def test_the_patient_form_names_every_bad_field_at_once(world, login):
    client = login(world.front_desk)
    response = client.post(reverse("patient_create"), {
        "given_name": "", "family_name": "X", "date_of_birth": "3000-01-01",
        "email": "not-an-email", "phone": "??"})
    errors = response.context["form"].errors
    assert set(errors) == {"given_name", "date_of_birth", "email", "phone"}


def test_a_credential_expiring_before_issue_is_refused_on_the_expiry_field(world, login):
    client = login(world.admin)
    url = reverse("practitioner_detail", args=[world.practitioner_record.pk])
    response = client.post(url, {"kind": "licence", "issuer": "Board", "number": "1",
                                 "jurisdiction": "us-il", "status": "active",
                                 "issued_on": "2026-01-01", "expires_on": "2025-01-01"})
    assert response.status_code == 400
    assert response.context["form"].errors["expires_on"] == [
        "The expiry date is before the issue date."]


def test_a_valid_credential_is_added_and_normalised(world, login):
    client = login(world.admin)
    url = reverse("practitioner_detail", args=[world.practitioner_record.pk])
    response = client.post(url, {"kind": "licence", "issuer": "Board", "number": "9",
                                 "jurisdiction": "us-wi", "status": "active",
                                 "issued_on": "2026-01-01", "expires_on": "2030-01-01",
                                 "verified_on": "2026-02-01",
                                 "source_url": "board.example.org/lookup"})
    assert response.status_code == 302
    cred = world.practitioner_record.credentials.get(number="9")
    assert cred.jurisdiction == "US-WI"
    assert cred.verified_by == world.admin
    assert cred.source_url == "https://board.example.org/lookup"


def test_only_the_clinic_admin_may_add_credentials(world, login):
    url = reverse("practitioner_detail", args=[world.practitioner_record.pk])
    for user in (world.practitioner, world.front_desk):
        assert login(user).post(url, {"kind": "licence"}).status_code == 403
