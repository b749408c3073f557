"""SMART Backend Services: client credentials with a signed JWT checked against the JWKS the
clinic admin registered (no network), system/ scopes, one clinic, bulk export."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.exceptions import ValidationError

from acuback.audit.models import AuditEvent
from acuback.interop import smart
from acuback.interop.models import BulkExport
from tests.factories import request_for

from .smart_helpers import register

TOKEN_URL = "http://testserver/oauth/token/"


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks_of(private, kid="k1", alg="RS384"):
    algorithm = jwt.algorithms.RSAAlgorithm if alg.startswith("RS") else jwt.algorithms.ECAlgorithm
    key = algorithm.to_jwk(private.public_key(), as_dict=True)
    return {"keys": [{**key, "kid": kid, "alg": alg}]}


def assertion(app, private, *, alg="RS384", kid="k1", aud=TOKEN_URL, lifetime=240, jti=None,
              **claims):
    now = int(time.time())
    body = {"iss": app.application.client_id, "sub": app.application.client_id, "aud": aud,
            "exp": now + lifetime, "jti": jti or str(uuid.uuid4()), **claims}
    return jwt.encode(body, private, algorithm=alg, headers={"kid": kid})


def token_request(client, signed, scope="system/*.rs"):
    response = client.post("/oauth/token/", {
        "grant_type": "client_credentials", "scope": scope,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": signed})
    return response.status_code, json.loads(response.content)


@pytest.fixture
def backend(record):
    key = rsa_key()
    app, _ = register(record, "backend", jwks=jwks_of(key), acts_as=record.admin)
    return app, key


def test_a_backend_service_gets_a_token_and_kicks_off_an_export(client, record, backend):
    app, key = backend
    status, token = token_request(client, assertion(app, key))
    assert status == 200, token
    assert token["token_type"] == "Bearer" and token["scope"] == "system/*.rs"
    assert "refresh_token" not in token and "patient" not in token
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token['access_token']}",
            "HTTP_PREFER": "respond-async"}
    response = client.get("/fhir/$export", **auth)
    assert response.status_code == 202, response.content
    response = client.get(f"/fhir/Group/{record.practitioner_record.pk}/$export", **auth)
    assert response.status_code == 202, response.content
    jobs = BulkExport.objects.all()
    assert {j.clinic_id for j in jobs} == {record.clinic.pk}
    assert {j.requested_by_id for j in jobs} == {record.admin.pk}
    # The status URL answers the same token.
    status_url = response["Content-Location"].replace("http://testserver", "")
    assert client.get(status_url, **auth).status_code == 202
    assert AuditEvent.objects.filter(action="smart_app.token_issue").exists()


def test_an_es384_key_works_too(client, record):
    key = ec.generate_private_key(ec.SECP384R1())
    app, _ = register(record, "backend", jwks=jwks_of(key, alg="ES384"), acts_as=record.admin)
    status, token = token_request(client, assertion(app, key, alg="ES384"))
    assert status == 200, token


@pytest.mark.parametrize("what", ["other key", "other aud", "too long", "no jti", "HS256",
                                  "RS256", "sub differs", "expired"])
def test_an_assertion_that_does_not_hold_gets_no_token(client, record, backend, what):
    app, key = backend
    signed = {
        "other key": lambda: assertion(app, rsa_key()),
        "other aud": lambda: assertion(app, key, aud="https://elsewhere.example/token"),
        "too long": lambda: assertion(app, key, lifetime=3600),
        "no jti": lambda: jwt.encode({"iss": app.application.client_id,
                                      "sub": app.application.client_id, "aud": TOKEN_URL,
                                      "exp": int(time.time()) + 60}, key, algorithm="RS384"),
        "HS256": lambda: jwt.encode({"iss": app.application.client_id,
                                     "sub": app.application.client_id, "aud": TOKEN_URL,
                                     "exp": int(time.time()) + 60, "jti": "x"},
                                    "s" * 32, algorithm="HS256"),
        "RS256": lambda: assertion(app, key, alg="RS256"),
        "sub differs": lambda: assertion(app, key, sub="someone-else"),
        "expired": lambda: assertion(app, key, lifetime=-600),
    }[what]()
    status, body = token_request(client, signed)
    assert status == 401 and body["error"] == "invalid_client"


def test_an_assertion_is_used_once(client, record, backend):
    app, key = backend
    signed = assertion(app, key, jti="only-once")
    assert token_request(client, signed)[0] == 200
    status, body = token_request(client, signed)
    assert status == 401 and body["error"] == "invalid_client"


@pytest.mark.parametrize("scope", ["patient/*.rs", "user/*.rs", "system/*.cruds"])
def test_a_backend_service_gets_system_read_scopes_only(client, record, backend, scope):
    app, key = backend
    status, body = token_request(client, assertion(app, key), scope=scope)
    assert status == 400 and body["error"] == "invalid_scope"


def test_a_type_scope_exports_only_its_types(client, record, backend):
    app, key = backend
    _, token = token_request(client, assertion(app, key), scope="system/Patient.rs")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token['access_token']}",
            "HTTP_PREFER": "respond-async"}
    assert client.get("/fhir/$export", **auth).status_code == 403
    assert client.get("/fhir/$export?_type=Observation", **auth).status_code == 403
    assert client.get("/fhir/$export?_type=Patient", **auth).status_code == 202


def test_a_revoked_app_stops_at_once(client, record, backend):
    app, key = backend
    _, token = token_request(client, assertion(app, key))
    smart.app_revoke(app=app, request=request_for(record.admin))
    response = client.get("/fhir/Patient", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    assert response.status_code == 401
    status, body = token_request(client, assertion(app, key))
    assert status == 401 and body["error"] == "invalid_client"
    assert AuditEvent.objects.filter(action="smart_app.revoke").exists()


def test_a_backend_service_holds_to_its_user_s_rights(client, record, backend):
    """It acts as a clinic admin; if that person is no longer one, export stops."""
    from acuback.accounts.models import Membership, Role

    app, key = backend
    _, token = token_request(client, assertion(app, key))
    Membership.objects.filter(user=record.admin, clinic=record.clinic).update(
        role=Role.PRACTITIONER)
    response = client.get("/fhir/$export", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}",
                          HTTP_PREFER="respond-async")
    assert response.status_code == 403


@pytest.mark.parametrize(("jwks", "words"), [
    ("not json", "not JSON"),
    ({"keys": []}, "at least one key"),
    ({"keys": [{"kty": "oct", "k": "abc"}]}, "RSA or EC"),
    ("private", "private key"),
    ("[" * 100_000 + "]" * 100_000, "not JSON"),
])
def test_registration_refuses_a_jwks_that_cannot_check_a_signature(record, jwks, words):
    if jwks == "private":
        jwks = {"keys": [json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key()))]}
    with pytest.raises(ValidationError) as error:
        register(record, "backend", jwks=jwks, acts_as=record.admin)
    assert words in str(error.value.message_dict["jwks"])


def test_a_narrow_token_cannot_reach_a_wider_export_of_the_same_acting_admin(
        client, record, backend):
    """Integrator review: a system/Patient.rs token read the manifest, downloaded the
    Observation file and cancelled an export another token of the same admin made."""
    app, key = backend
    _, wide = token_request(client, assertion(app, key))
    started = client.get("/fhir/$export", HTTP_AUTHORIZATION=f"Bearer {wide['access_token']}",
                         HTTP_PREFER="respond-async")
    assert started.status_code == 202
    job = BulkExport.objects.get()
    _, narrow = token_request(client, assertion(app, key), scope="system/Patient.rs")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {narrow['access_token']}"}
    assert client.get(f"/fhir/bulk-status/{job.pk}", **auth).status_code == 403
    assert client.delete(f"/fhir/bulk-status/{job.pk}", **auth).status_code == 403
    assert client.get(f"/fhir/bulk-files/{job.pk}/Observation.ndjson",
                      **auth).status_code == 403
    job.refresh_from_db()
    assert job.status != "cancelled"
