"""A clinic admin registers a SMART app in the browser; a practitioner allows it on the
consent page, choosing the patient; the app exchanges the code and reads the record; the
admin revokes the app. axe-core checks every page on the way (tests/e2e/conftest.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.interop.smart_helpers import pkce

pytestmark = pytest.mark.e2e
REDIRECT = "http://127.0.0.1:9/callback"


def test_an_app_is_registered_allowed_used_and_revoked(page, log_in, world):
    log_in(world.admin.username)
    page.goto("/settings/apps/")
    page.fill("#id_name", "Pain diary")
    page.check("input[value='public']")
    page.fill("#id_redirect_uris", REDIRECT)
    page.click("text=Register app")
    client_id = page.locator("#new-app code").first.inner_text()
    assert client_id
    page.context.clear_cookies()

    log_in(world.practitioner.username)
    verifier, challenge = pkce()
    page.goto("/oauth/authorize/?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
        "scope": "launch/patient patient/*.rs", "state": "abc", "code_challenge": challenge,
        "code_challenge_method": "S256"}))
    assert page.locator("#scope-words li").count() == 2
    page.screenshot(path="test-artifacts/smart-consent.png", full_page=True)
    page.select_option("#id_patient", value=str(world.patient.pk))
    redirected = []

    def app_callback(route):
        redirected.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body=(
            '<!doctype html><html lang="en"><title>The app</title><main><h1>The app</h1>'
            "</main></html>"))
    page.route("http://127.0.0.1:9/**", app_callback)
    page.click("button:has-text('Allow')")
    page.wait_for_url("http://127.0.0.1:9/**")
    code = parse_qs(urlsplit(redirected[0]).query)["code"][0]

    token = page.request.post("/oauth/token/", form={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": client_id, "code_verifier": verifier}).json()
    assert token["patient"] == str(world.patient.pk)
    headers = {"Authorization": f"Bearer {token['access_token']}", "Cookie": ""}
    response = page.request.get(f"/fhir/Patient/{world.patient.pk}", headers=headers)
    assert response.status == 200 and response.json()["name"][0]["family"] == "Archer"

    page.context.clear_cookies()
    log_in(world.admin.username)
    page.goto("/settings/apps/")
    assert page.locator("text=alpha_prac").count() >= 1
    page.click("text=Revoke app")
    assert page.locator("text=revoked").count() >= 1
    response = page.request.get(f"/fhir/Patient/{world.patient.pk}", headers=headers)
    assert response.status == 401
