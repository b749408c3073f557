"""The clinic admin registers SMART apps, sees them and who allowed them, and revokes an
app or one person's authorisation; everything audited."""

from __future__ import annotations

import json

from django.urls import reverse

from acuback.accounts.models import Role
from acuback.audit.models import AuditEvent
from acuback.interop.models import SmartApp
from tests.factories import make_user

from .smart_helpers import code_of, consent, exchange, fhir_get, launch, register


def test_the_admin_registers_a_public_app_and_sees_its_client_id(client, login, world):
    login(world.admin)
    response = client.post(reverse("smart_apps"), {
        "name": "Pain diary", "kind": "public",
        "redirect_uris": "https://diary.example.org/cb\nhttp://127.0.0.1:9000/cb"})
    assert response.status_code == 200
    app = SmartApp.objects.get()
    assert app.clinic == world.clinic and app.application.client_type == "public"
    assert app.application.redirect_uris.split() == ["https://diary.example.org/cb",
                                                     "http://127.0.0.1:9000/cb"]
    assert app.application.client_id in response.content.decode()
    assert AuditEvent.objects.filter(action="smart_app.register", clinic=world.clinic).exists()


def test_a_confidential_app_s_secret_is_shown_once_and_needed(client, login, world):
    login(world.admin)
    response = client.post(reverse("smart_apps"), {
        "name": "Referral portal", "kind": "confidential",
        "redirect_uris": "https://app.example.org/callback"})
    app = SmartApp.objects.get()
    secret = response.context["secret"]
    assert secret and secret in response.content.decode()
    assert app.application.client_secret != secret  # stored hashed
    assert secret not in client.get(reverse("smart_apps")).content.decode()
    login(world.practitioner)
    response = consent(client, app, "user/*.rs")
    code = code_of(response)
    client.logout()
    status, body = exchange(client, app, code, response.verifier)  # no secret
    assert status == 401 and body["error"] == "invalid_client"
    login(world.practitioner)
    response = consent(client, app, "user/*.rs")
    code = code_of(response)
    client.logout()
    status, body = exchange(client, app, code, response.verifier, secret=secret)
    assert status == 200, body


def test_bad_registrations_are_refused_naming_the_field(client, login, world):
    login(world.admin)
    for data, field in (
            ({"name": "A", "kind": "public", "redirect_uris": ""}, "redirect_uris"),
            ({"name": "A", "kind": "public", "redirect_uris": "http://app.example.org/cb"},
             "redirect_uris"),
            ({"name": "A", "kind": "public", "redirect_uris": "https://a.example/cb#x"},
             "redirect_uris"),
            ({"name": "A", "kind": "public", "redirect_uris": "https://[::1/cb"},
             "redirect_uris"),
            ({"name": "B", "kind": "backend", "jwks": "", "acts_as": world.admin.pk}, "jwks"),
            ({"name": "B", "kind": "backend", "jwks": '{"keys": [{"kty": "RSA"}]}',
              "acts_as": world.admin.pk}, "jwks"),
            ({"name": "", "kind": "public", "redirect_uris": "https://a.example/cb"}, "name")):
        response = client.post(reverse("smart_apps"), data)
        assert response.status_code == 400, data
        assert response.context["form"].errors.get(field), (data, response.context["form"].errors)
    assert not SmartApp.objects.exists()


def test_revoking_an_app_stops_its_tokens_at_once(client, login, record):
    app, _ = register(record)
    token = launch(client, login, record.practitioner, app, "user/*.rs offline_access")
    login(record.admin)
    page = client.get(reverse("smart_apps")).content.decode()
    assert "Test public app" in page and "alpha_prac" in page
    assert client.post(reverse("smart_app_revoke", args=[app.pk])).status_code == 302
    client.logout()
    assert fhir_get(client, "Patient", token["access_token"])[0] == 401
    response = client.post("/oauth/token/", {
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"],
        "client_id": app.application.client_id})
    assert response.status_code in (400, 401)
    assert "access_token" not in json.loads(response.content)


def test_revoking_one_authorisation_stops_its_tokens_and_refreshes(client, login, record):
    app, _ = register(record)
    mine = launch(client, login, record.practitioner, app,
                  "launch/patient patient/*.rs offline_access", patient=record.patient)
    theirs = launch(client, login, record.admin, app, "user/*.rs")
    from acuback.interop.models import SmartAuthorization

    authorization = SmartAuthorization.objects.get(user=record.practitioner)
    login(record.admin)
    assert client.post(reverse("smart_authorization_revoke",
                               args=[authorization.pk])).status_code == 302
    client.logout()
    assert fhir_get(client, "Patient", mine["access_token"])[0] == 401
    response = client.post("/oauth/token/", {
        "grant_type": "refresh_token", "refresh_token": mine["refresh_token"],
        "client_id": app.application.client_id})
    assert "access_token" not in json.loads(response.content)
    assert fhir_get(client, "Patient", theirs["access_token"])[0] == 200  # another's stays
    event = AuditEvent.objects.get(action="smart_app.authorization_revoke")
    assert event.patient_id == record.patient.pk


def test_another_clinic_s_admin_cannot_see_or_revoke_the_app(client, login, world):
    app, _ = register(world)
    outsider_admin = make_user(world.outsider.memberships.get().clinic, Role.CLINIC_ADMIN,
                               "beta_admin")
    login(outsider_admin)
    assert app.application.client_id not in client.get(reverse("smart_apps")).content.decode()
    assert client.post(reverse("smart_app_revoke", args=[app.pk])).status_code == 404
    app.refresh_from_db()
    assert app.revoked_at is None


def test_the_toolkit_s_own_admin_pages_are_not_served(db):
    """They would show apps' live tokens; the clinic admin's Apps page is the one home."""
    import pytest
    from django.contrib import admin
    from django.urls import NoReverseMatch
    from oauth2_provider.models import AccessToken, Application, RefreshToken

    for model in (AccessToken, Application, RefreshToken):
        assert not admin.site.is_registered(model)
    with pytest.raises(NoReverseMatch):
        reverse("admin:oauth2_provider_accesstoken_changelist")
