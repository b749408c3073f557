"""No patient data in application logs or error pages."""

from __future__ import annotations

import io
import logging

import pytest
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from acuback.web.logging import scrub


@pytest.fixture
def log_output():
    """What the configured console handler writes, while the test runs."""
    handler = logging.getLogger("django").handlers[0]
    stream = io.StringIO()
    old = handler.setStream(stream)
    yield stream
    handler.setStream(old)


def secrets_of(patient) -> list[str]:
    return [patient.email, patient.phone, patient.mrn, patient.date_of_birth.isoformat(),
            patient.family_name, patient.given_name]


@pytest.fixture
def alice(world):
    p = world.patient
    p.email, p.phone, p.mrn = "alice.archer@example.com", "+1 312 555 0142", "MRN-778812"
    p.save()
    return p


def test_a_server_error_leaks_nothing_to_the_log_or_the_page(alice, world, log_output,
                                                             monkeypatch):
    from acuback.patients import selectors

    def broken(**kwargs):
        raise IntegrityError(
            f"duplicate key value violates unique constraint DETAIL: Key (mrn)=({alice.mrn}) "
            f"for '{alice.given_name} {alice.family_name}' <{alice.email}> "
            f"{alice.phone} born {alice.date_of_birth}")

    monkeypatch.setattr(selectors, "patient_search", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.admin)
    response = client.get(reverse("patient_list"), {"q": alice.family_name})
    assert response.status_code == 500
    logged = log_output.getvalue()
    assert "Internal Server Error" in logged and "IntegrityError" in logged
    for secret in secrets_of(alice):
        assert secret not in logged, secret
        assert secret not in response.content.decode(), secret


def test_fhir_errors_are_logged_without_the_patient(alice, world, log_output, monkeypatch,
                                                    fhir_token):
    import dataclasses

    from acuback.interop.resources import KINDS

    def broken(p):
        raise ValueError(f"cannot map '{p.given_name} {p.family_name}' ({p.email})")

    monkeypatch.setitem(KINDS, "Patient", dataclasses.replace(KINDS["Patient"], to_fhir=broken))
    client = Client()
    response = client.get(f"/fhir/Patient/{alice.pk}", HTTP_AUTHORIZATION=f"Bearer {fhir_token}")
    assert response.status_code == 500 and response.json()["resourceType"] == "OperationOutcome"
    logged = log_output.getvalue()
    assert "FHIR GET read failed" in logged
    for secret in secrets_of(alice):
        assert secret not in logged and secret not in response.content.decode(), secret


def test_refused_forms_log_the_path_only(alice, world, log_output, login):
    response = login(world.admin).post(reverse("patient_create"), {
        "given_name": alice.given_name, "family_name": alice.family_name,
        "email": "not-an-email", "date_of_birth": "yesterday"})
    assert response.status_code in (200, 400) and response.context["form"].errors
    for secret in secrets_of(alice):
        assert secret not in log_output.getvalue()


def test_the_scrubber_removes_what_identifies_a_patient():
    text = scrub("Key (email)=(a@b.org) for 'Alice Archer' tel 312-555-0142 dob 1980-05-17")
    assert text == "Key (email)=([value]) for '[text]' tel [number] dob [date]"


@pytest.fixture
def fhir_token(world):
    from datetime import timedelta

    from django.utils import timezone

    from acuback.interop.models import ApiToken, token_digest

    ApiToken.objects.create(clinic=world.clinic, user=world.admin, name="t",
                            digest=token_digest("acb_privacy"), prefix="acb_priv",
                            scopes=["user/*.read"], created_by=world.admin,
                            expires_at=timezone.now() + timedelta(days=1))
    return "acb_privacy"
