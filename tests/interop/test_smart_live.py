"""SMART against a live server, as real clients do it: the SMART `fhirclient` library runs a
standalone launch (discovery from the CapabilityStatement, PKCE, the consent page, the code
exchange) and reads a patient's Observations; a backend service signs its assertion and
completes a Group export over HTTP."""

from __future__ import annotations

import re
import time
import uuid
from html import unescape
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from fhirclient import client as smart_client
from fhirclient.models.observation import Observation

from acuback.interop import smart
from tests.factories import PASSWORD, make_record, make_world, request_for

REDIRECT = "http://127.0.0.1:9/callback"  # the app's; never called: the test reads it


@pytest.fixture
def live_record(transactional_db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return make_record(make_world())


def _form_fields(html: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="submit"' not in tag:
            fields[unescape(name[1])] = unescape(value[1]) if value else ""
    return fields


def _log_in(browser: requests.Session, base: str, username: str) -> None:
    """The normal acuback log-in page, with the user's own password."""
    page = browser.get(f"{base}/login/")
    fields = _form_fields(page.text)
    fields.update(username=username, password=PASSWORD)
    response = browser.post(f"{base}/login/", data=fields, allow_redirects=False,
                            headers={"Referer": f"{base}/login/"})
    assert response.status_code == 302, response.text[:500]


def test_fhirclient_completes_a_standalone_launch_and_reads_observations(live_server,
                                                                         live_record):
    w = live_record
    app, _ = smart.app_register(clinic=w.clinic, name="Pain diary", kind="public",
                                redirect_uris=REDIRECT, request=request_for(w.admin))
    fhir_app = smart_client.FHIRClient(settings={
        "app_id": app.application.client_id, "api_base": f"{live_server.url}/fhir",
        "redirect_uri": REDIRECT, "scope": "launch/patient patient/*.rs offline_access"})
    authorize_url = fhir_app.authorize_url  # discovered from the CapabilityStatement
    assert authorize_url.startswith(f"{live_server.url}/oauth/authorize/")
    assert "code_challenge_method=S256" in authorize_url

    browser = requests.Session()  # the person, in their browser
    _log_in(browser, live_server.url, w.practitioner.username)
    page = browser.get(authorize_url)
    assert page.status_code == 200 and "Pain diary" in page.text
    fields = _form_fields(page.text)
    fields.update(allow="on", patient=str(w.patient.pk))
    response = browser.post(f"{live_server.url}/oauth/authorize/", data=fields,
                            allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"].startswith(REDIRECT)

    fhir_app.handle_callback(response.headers["Location"])  # the code exchange
    assert fhir_app.ready and fhir_app.patient_id == str(w.patient.pk)
    observations = Observation.where(struct={"patient": fhir_app.patient_id}) \
        .perform_resources(fhir_app.server)
    assert sorted(o.subject.reference for o in observations) == \
        [f"Patient/{w.patient.pk}"] * 2
    assert {o.code.coding[0].code for o in observations} >= {"97909-6"}  # ODI's LOINC
    fhir_app.reauthorize()  # offline_access: the refresh token gets a new access token
    assert fhir_app.ready


def test_a_backend_service_completes_a_group_export_over_http(live_server, live_record):
    w = live_record
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    app, _ = smart.app_register(clinic=w.clinic, name="Registry feed", kind="backend",
                                jwks={"keys": [{**public, "kid": "feed-1", "alg": "RS384"}]},
                                acts_as=w.admin, request=request_for(w.admin))
    http = requests.Session()
    discovery = http.get(f"{live_server.url}/fhir/.well-known/smart-configuration").json()
    token_url = discovery["token_endpoint"]
    client_id = app.application.client_id
    assertion = jwt.encode({"iss": client_id, "sub": client_id, "aud": token_url,
                            "exp": int(time.time()) + 240, "jti": str(uuid.uuid4())},
                           key, algorithm="RS384", headers={"kid": "feed-1"})
    token = http.post(token_url, data={
        "grant_type": "client_credentials", "scope": "system/*.rs",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    kickoff = http.get(f"{live_server.url}/fhir/Group/{w.practitioner_record.pk}/$export",
                       headers={**headers, "Prefer": "respond-async"})
    assert kickoff.status_code == 202, kickoff.text
    for _ in range(20):
        status = http.get(kickoff.headers["Content-Location"], headers=headers)
        if status.status_code != 202:
            break
        time.sleep(0.5)
    assert status.status_code == 200, status.text
    manifest = status.json()
    types = {o["type"] for o in manifest["output"]}
    assert {"Patient", "Observation", "Encounter"} <= types
    patients = http.get(next(o["url"] for o in manifest["output"] if o["type"] == "Patient"),
                        headers=headers)
    assert patients.status_code == 200
    assert f'"id":"{w.patient.pk}"' in patients.text.replace(" ", "")
    assert parse_qs(urlsplit(kickoff.headers["Content-Location"]).query) == {}
