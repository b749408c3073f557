"""Helpers for the SMART tests: register an app, run PKCE, walk the authorise page."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from acuback.interop import smart
from tests.factories import request_for

REDIRECT = "https://app.example.org/callback"


def register(world, kind="public", **fields):
    defaults = {"redirect_uris": REDIRECT} if kind != "backend" else {}
    app, secret = smart.app_register(clinic=world.clinic, name=f"Test {kind} app", kind=kind,
                                     request=request_for(world.admin), **{**defaults, **fields})
    return app, secret


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()) \
        .rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(app, scope: str, challenge: str, **extra) -> dict:
    return {"response_type": "code", "client_id": app.application.client_id,
            "redirect_uri": REDIRECT, "scope": scope, "state": "st4te",
            "aud": "http://testserver/fhir", "code_challenge": challenge,
            "code_challenge_method": "S256", **extra}


def consent(client, app, scope: str, *, patient=None, allow=True, **extra):
    """GET the authorise page, then allow (or deny): the response of the POST."""
    verifier, challenge = pkce()
    params = authorize_params(app, scope, challenge, **extra)
    page = client.get(f"/oauth/authorize/?{urlencode(params)}")
    assert page.status_code == 200, page.content.decode()[:2000]
    form = {k: v for k, v in params.items() if k != "aud"}
    if allow:
        form["allow"] = "on"
    if patient is not None:
        form["patient"] = str(patient.pk)
    response = client.post("/oauth/authorize/", form)
    response.verifier = verifier
    return response


def code_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["state"] == ["st4te"]
    return query["code"][0]


def exchange(client, app, code: str, verifier: str, secret: str | None = None):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": app.application.client_id, "code_verifier": verifier}
    if secret:
        data["client_secret"] = secret
    response = client.post("/oauth/token/", data)
    return response.status_code, json.loads(response.content)


def launch(client, login, user, app, scope, *, patient=None):
    """A whole standalone launch as `user`; returns the token response."""
    login(user)
    response = consent(client, app, scope, patient=patient)
    code = code_of(response)
    client.logout()
    status, body = exchange(client, app, code, response.verifier)
    assert status == 200, body
    return body


def fhir_get(client, path: str, token: str):
    response = client.get(f"/fhir/{path}", HTTP_AUTHORIZATION=f"Bearer {token}")
    return response.status_code, json.loads(response.content)
