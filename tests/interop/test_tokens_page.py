"""The clinic admin makes, sees and revokes API tokens; the secret is shown once."""

from __future__ import annotations

import re

from django.urls import reverse

from acuback.audit.models import AuditEvent
from acuback.interop.models import ApiToken


def test_an_admin_makes_a_token_that_works_and_is_shown_once(record, login, fhir):
    client = login(record.admin)
    response = client.post(reverse("api_tokens"), {
        "name": "Referrer EHR", "user": record.practitioner.pk, "scopes": ["user/*.read"],
        "days": "30"})
    assert response.status_code == 200
    secret = re.search(r'<code class="secret">(acb_[^<]+)</code>', response.content.decode())[1]
    token = ApiToken.objects.get()
    assert token.digest != secret and secret.startswith(token.prefix)
    assert secret not in client.get(reverse("api_tokens")).content.decode()
    client.logout()
    assert fhir("GET", f"Patient/{record.patient.pk}", secret)[0] == 200
    assert AuditEvent.objects.filter(action="api_token.create").exists()


def test_wrong_input_is_named_per_field(record, login):
    client = login(record.admin)
    response = client.post(reverse("api_tokens"), {"name": "", "user": record.front_desk.pk,
                                                   "scopes": ["system/*.read"], "days": "900"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required" in page and "less than or equal to 365" in page
    response = client.post(reverse("api_tokens"), {"name": "x", "user": record.front_desk.pk,
                                                   "scopes": ["system/*.read"], "days": "9"})
    assert response.status_code == 400 and "may not use system/*.read" in \
        response.content.decode()
    response = client.post(reverse("api_tokens"), {"name": "x", "user": record.outsider.pk,
                                                   "scopes": ["user/*.read"], "days": "9"})
    assert response.status_code == 400  # not a member of this clinic
    assert not ApiToken.objects.exists()


def test_revoking_stops_the_token_at_once(record, login, fhir, make_token):
    raw = make_token(record.admin, record.clinic)
    token = ApiToken.objects.get()
    response = login(record.admin).post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    login(None)
    status, body, _ = fhir("GET", "Patient", raw)
    assert status == 401 and "revoked" in body["issue"][0]["diagnostics"]


def test_another_clinics_token_cannot_be_revoked(record, login, make_token):
    from acuback.accounts.models import Clinic
    from tests.factories import make_user

    beta = Clinic.objects.get(memberships__user=record.outsider)
    make_token(record.outsider, beta)
    token = ApiToken.objects.get()
    response = login(make_user(record.clinic, "clinic_admin", "a2")).post(
        reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 404 and ApiToken.objects.get().revoked_at is None
