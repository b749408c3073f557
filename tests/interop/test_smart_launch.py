"""SMART App Launch 2.0: discovery, the standalone launch with PKCE, scopes and the
patient context, refresh tokens, and the audit trail."""

from __future__ import annotations

import json

import pytest

from acuback.audit.models import AuditEvent
from acuback.interop import mapping
from acuback.interop.models import SmartAuthorization
from acuback.outcomes import services as outcomes
from tests.factories import make_episode, request_for

from .smart_helpers import consent, exchange, fhir_get, launch, pkce, register


@pytest.mark.parametrize("path", ["/.well-known/smart-configuration",
                                  "/fhir/.well-known/smart-configuration"])
def test_the_smart_configuration_is_public_and_names_what_is_supported(client, path, db):
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["authorization_endpoint"] == "http://testserver/oauth/authorize/"
    assert body["token_endpoint"] == "http://testserver/oauth/token/"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert {"launch-standalone", "context-standalone-patient", "client-public",
            "client-confidential-asymmetric", "permission-v2", "permission-offline"} \
        <= set(body["capabilities"])
    # Not supported, so not claimed (permission-online: the integrator's review found
    # online_access gave no refresh token).
    assert not {"launch-ehr", "permission-online"} & set(body["capabilities"])
    assert {"patient/*.rs", "user/*.rs", "system/*.rs", "patient/Observation.rs",
            "launch/patient", "offline_access"} <= set(body["scopes_supported"])
    assert "private_key_jwt" in body["token_endpoint_auth_methods_supported"]
    assert set(body["token_endpoint_auth_signing_alg_values_supported"]) == {"RS384", "ES384"}


def test_the_capability_statement_names_the_oauth_uris(client, db):
    body = json.loads(client.get("/fhir/metadata").content)
    mapping.validate(body)
    security = body["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    (uris,) = [e for e in security["extension"] if e["url"].endswith("/oauth-uris")]
    found = {e["url"]: e["valueUri"] for e in uris["extension"]}
    assert found["authorize"] == "http://testserver/oauth/authorize/"
    assert found["token"] == "http://testserver/oauth/token/"


@pytest.fixture
def two_patients(record):
    """Alice (record) and Bruno, both in the practitioner's care, each with scores."""
    w = record
    w.other_episode = make_episode(w.other_patient, w.practitioner, diagnosis_codes=["M54.50"])
    w.other_odi = outcomes.response_save(
        patient=w.other_patient, episode=w.other_episode, instrument_id="odi",
        time_point="baseline", answers=dict.fromkeys(range(1, 11), 1), submit=True,
        completed_by="staff", request=request_for(w.practitioner))
    return w


def test_a_practitioner_launch_reads_only_the_chosen_patients_observations(
        client, login, two_patients):
    w = two_patients
    app, _ = register(w)
    token = launch(client, login, w.practitioner, app,
                   "launch/patient patient/Observation.rs", patient=w.patient)
    assert token["patient"] == str(w.patient.pk) and token["token_type"] == "Bearer"
    assert "refresh_token" not in token  # no offline_access asked for
    status, bundle = fhir_get(client, "Observation", token["access_token"])
    assert status == 200
    subjects = {e["resource"]["subject"]["reference"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "Observation"}
    assert subjects == {f"Patient/{w.patient.pk}"}
    # The other patient's record, by id and by search, is not reached.
    status, _ = fhir_get(client, f"Observation/{w.other_odi.pk}", token["access_token"])
    assert status == 404
    status, bundle = fhir_get(client, f"Observation?patient={w.other_patient.pk}",
                              token["access_token"])
    assert status == 200 and bundle["total"] == 0
    # The scopes name Observation only: another type is refused, naming it.
    status, body = fhir_get(client, "Condition", token["access_token"])
    assert status == 403 and "Condition" in body["issue"][0]["diagnostics"]


def test_a_patient_launch_opens_the_patients_own_record_only(client, login, two_patients):
    w = two_patients
    app, _ = register(w)
    token = launch(client, login, w.patient_user, app, "launch/patient patient/*.rs")
    assert token["patient"] == str(w.patient.pk)
    status, bundle = fhir_get(client, "Observation", token["access_token"])
    assert status == 200 and bundle["total"] == 2  # Alice's ODI and NRS
    status, bundle = fhir_get(client, "Patient", token["access_token"])
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(w.patient.pk)]
    status, _ = fhir_get(client, f"Patient/{w.other_patient.pk}", token["access_token"])
    assert status == 404
    status, bundle = fhir_get(client, f"Patient/{w.patient.pk}/$everything",
                              token["access_token"])
    assert status == 200 and bundle["total"] > 2


def test_a_user_scope_sees_what_the_user_sees_with_the_care_rule_unchanged(
        client, login, two_patients):
    w = two_patients
    app, _ = register(w)
    token = launch(client, login, w.front_desk, app, "user/*.rs")
    assert "patient" not in token
    status, bundle = fhir_get(client, "Patient", token["access_token"])
    assert status == 200 and bundle["total"] == 2
    # Front desk sees no clinical record through an app either: refused, as without one.
    status, _ = fhir_get(client, "Observation", token["access_token"])
    assert status == 403


def test_pkce_with_s256_is_required(client, login, record):
    app, _ = register(record)
    login(record.practitioner)
    _, challenge = pkce()
    base = {"response_type": "code", "client_id": app.application.client_id,
            "redirect_uri": "https://app.example.org/callback", "scope": "user/*.rs",
            "state": "s"}
    for extra in ({}, {"code_challenge": challenge, "code_challenge_method": "plain"},
                  {"code_challenge": challenge}):
        response = client.get("/oauth/authorize/", {**base, **extra})
        assert response.status_code == 400 and b"S256" in response.content


def test_a_wrong_code_verifier_gets_no_token(client, login, record):
    app, _ = register(record)
    login(record.practitioner)
    response = consent(client, app, "user/*.rs")
    code = response["Location"].split("code=")[1].split("&")[0]
    status, body = exchange(client, app, code, "x" * 50)
    assert status == 400 and body["error"] == "invalid_grant"


def test_offline_access_gives_a_refresh_token_that_keeps_the_patient(client, login, record):
    app, _ = register(record)
    first = launch(client, login, record.practitioner, app,
                   "launch/patient patient/*.rs offline_access", patient=record.patient)
    assert first["refresh_token"]
    response = client.post("/oauth/token/", {
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"],
        "client_id": app.application.client_id})
    second = json.loads(response.content)
    assert response.status_code == 200, second
    assert second["patient"] == str(record.patient.pk)
    assert second["access_token"] != first["access_token"]
    status, _ = fhir_get(client, f"Patient/{record.other_patient.pk}", second["access_token"])
    assert status == 404
    status, _ = fhir_get(client, f"Patient/{record.patient.pk}", second["access_token"])
    assert status == 200
    actions = list(AuditEvent.objects.filter(action__startswith="smart_app.")
                   .values_list("action", flat=True))
    assert {"smart_app.authorize", "smart_app.token_issue", "smart_app.token_refresh"} \
        <= set(actions)


@pytest.mark.parametrize(("scope", "words"), [
    ("patient/*.cruds launch/patient", "only reads"),
    ("patient/Banana.rs launch/patient", "Banana"),
    ("system/*.rs", "backend"),
    ("patient/*.rs user/*.rs launch/patient", "mix"),
])
def test_scopes_that_cannot_be_granted_are_refused_naming_them(client, login, record, scope,
                                                               words):
    app, _ = register(record)
    login(record.practitioner)
    _, challenge = pkce()
    response = client.get("/oauth/authorize/", {
        "response_type": "code", "client_id": app.application.client_id,
        "redirect_uri": "https://app.example.org/callback", "scope": scope, "state": "s",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    # A refusal goes back to the app (invalid_scope) or is shown, never a token.
    text = response.content.decode() + response.get("Location", "")
    assert response.status_code in (302, 403), text[:500]
    assert "invalid_scope" in text or words in text
    assert not SmartAuthorization.objects.exists()


def test_the_consent_screen_lists_the_scopes_in_words_and_deny_gives_no_code(
        client, login, record):
    app, _ = register(record)
    login(record.practitioner)
    _, challenge = pkce()
    from urllib.parse import urlencode

    from .smart_helpers import authorize_params
    page = client.get("/oauth/authorize/?" + urlencode(authorize_params(
        app, "launch/patient patient/Observation.rs offline_access", challenge)))
    text = page.content.decode()
    assert "Read and search Observation records of the chosen patient" in text
    assert "refresh token" in text and "Test public app" in text
    assert "Archer, Alice" in text  # the patient picker
    response = consent(client, app, "user/*.rs", allow=False)
    assert response.status_code == 302 and "error=access_denied" in response["Location"]
    assert AuditEvent.objects.filter(action="smart_app.deny").exists()


@pytest.mark.parametrize(("who", "scope"), [
    ("outsider", "user/*.rs"),  # staff of another clinic
    ("outsider", "launch/patient patient/*.rs"),
    ("patient_user", "user/*.rs"),  # a patient asks for patient/ scopes only
    ("practitioner", "patient/*.rs"),  # patient/ scopes need launch/patient
])
def test_who_cannot_authorise_an_app_is_told_so_and_no_code_is_made(client, login, record,
                                                                    who, scope):
    from urllib.parse import urlencode

    from .smart_helpers import authorize_params
    app, _ = register(record)
    login(getattr(record, who))
    _, challenge = pkce()
    params = authorize_params(app, scope, challenge)
    page = client.get(f"/oauth/authorize/?{urlencode(params)}")
    assert page.status_code == 403 and b"cannot be authorised" in page.content
    # Posting the form anyway (allow, with a patient of the app's clinic) is refused too.
    form = {k: v for k, v in params.items() if k != "aud"}
    response = client.post("/oauth/authorize/", {**form, "allow": "on",
                                                 "patient": record.patient.pk})
    assert response.status_code == 403 and "code=" not in response.get("Location", "")
    assert not SmartAuthorization.objects.exists()


def test_a_patient_chosen_outside_what_the_person_may_see_is_refused(client, login, record):
    app, _ = register(record)
    login(record.practitioner)
    from urllib.parse import urlencode

    from .smart_helpers import authorize_params
    _, challenge = pkce()
    params = authorize_params(app, "launch/patient patient/*.rs", challenge)
    client.get(f"/oauth/authorize/?{urlencode(params)}")
    form = {k: v for k, v in params.items() if k != "aud"}
    response = client.post("/oauth/authorize/", {**form, "allow": "on",
                                                 "patient": record.outsider_patient.pk})
    assert response.status_code == 400
    assert "Choose the patient" in response.content.decode()
    assert not SmartAuthorization.objects.exists()


def test_the_consent_page_lets_its_form_go_back_to_the_app_under_the_csp(client, login,
                                                                         record):
    """The browser enforces CSP form-action on the redirect that answers the form: the
    consent page allows the app's registered redirect origins (and no other)."""
    from urllib.parse import urlencode

    from .smart_helpers import authorize_params
    app, _ = register(record)
    login(record.practitioner)
    _, challenge = pkce()
    page = client.get("/oauth/authorize/?" + urlencode(authorize_params(
        app, "user/*.rs", challenge)))
    policy = page["Content-Security-Policy"]
    (form_action,) = [d for d in policy.split(";") if d.strip().startswith("form-action")]
    assert form_action.split()[1:] == ["'self'", "https://app.example.org"]


@pytest.mark.parametrize("patient", ["99999999999999999999", "-1", "x"])
def test_a_patient_field_out_of_range_is_a_message_not_a_server_error(client, login, record,
                                                                       patient):
    from urllib.parse import urlencode

    from .smart_helpers import authorize_params
    app, _ = register(record)
    login(record.practitioner)
    _, challenge = pkce()
    params = authorize_params(app, "launch/patient patient/*.rs", challenge)
    client.get(f"/oauth/authorize/?{urlencode(params)}")
    form = {k: v for k, v in params.items() if k != "aud"}
    response = client.post("/oauth/authorize/", {**form, "allow": "on", "patient": patient})
    assert response.status_code == 400 and "Patient" in response.content.decode()
    assert not SmartAuthorization.objects.exists()



def test_tokens_are_not_kept_at_rest_only_their_checksums(client, login, record):
    """OAuth 2.0 Security BCP (RFC 9700 §4): a copy of the database gives no usable token;
    a replayed refresh token revokes its family."""
    from oauth2_provider.models import AccessToken, RefreshToken

    app, _ = register(record)
    token = launch(client, login, record.practitioner, app, "user/*.rs offline_access")
    assert set(AccessToken.objects.values_list("token", flat=True)) == {""}
    assert set(RefreshToken.objects.values_list("token", flat=True)) == {""}
    refresh = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
               "client_id": app.application.client_id}
    renewed = json.loads(client.post("/oauth/token/", refresh).content)
    assert client.post("/oauth/token/", refresh).status_code == 400  # replayed
    assert fhir_get(client, "Patient", renewed["access_token"])[0] == 401  # family revoked


def test_includes_obey_the_tokens_scopes_and_its_patient(client, login, two_patients):
    """Merging search includes with SMART: an include is a read of its type, so the
    token's scopes must name that type, and a patient launch narrows it too."""
    w = two_patients
    app, _ = register(w)
    token = launch(client, login, w.practitioner, app,
                   "launch/patient patient/Observation.rs", patient=w.patient)
    status, body = fhir_get(client, "Observation?_include=Observation:patient",
                            token["access_token"])
    assert status == 403 and "Patient" in body["issue"][0]["diagnostics"], body
    wider = launch(client, login, w.practitioner, app, "launch/patient patient/*.rs",
                   patient=w.patient)
    status, bundle = fhir_get(client, "Patient?_revinclude=Observation:patient",
                              wider["access_token"])
    assert status == 200
    subjects = {e["resource"]["subject"]["reference"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "Observation"}
    assert subjects == {f"Patient/{w.patient.pk}"}
