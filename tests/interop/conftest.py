"""A clinical record with one of everything, and API tokens for it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from acuback.interop.models import ApiToken, Scope, token_digest
from tests.factories import make_record


@pytest.fixture
def record(world):
    return make_record(world)


@pytest.fixture
def make_token():
    def _make(user, clinic, scopes=(Scope.READ,), *, days=30, revoked=False):
        raw = f"acb_test_{user.pk}_{'_'.join(s.split('/')[0] for s in scopes)}_{days}_{revoked}"
        ApiToken.objects.create(
            clinic=clinic, user=user, name="test", digest=token_digest(raw), prefix=raw[:10],
            scopes=list(scopes), created_by=user,
            expires_at=timezone.now() + timedelta(days=days),
            revoked_at=timezone.now() if revoked else None)
        return raw
    return _make


@pytest.fixture
def fhir(client):
    """GET/POST/DELETE against /fhir/ with a token; returns (status, JSON or None, response)."""
    import json

    def _call(method, path, token=None, body=None, **headers):
        if token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        kwargs = {}
        if body is not None:
            kwargs = {"data": body if isinstance(body, str | bytes) else json.dumps(body),
                      "content_type": "application/fhir+json"}
        response = getattr(client, method.lower())(f"/fhir/{path}", **kwargs, **headers)
        data = None
        if response.get("Content-Type", "").startswith(("application/fhir+json",
                                                         "application/json")):
            data = json.loads(response.content)
        return response.status_code, data, response
    return _call
