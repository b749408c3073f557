"""Rate limits for the public and costly endpoints (issue #25 §4), with django-ratelimit.

Each limit counts requests per client address and per target (the e-mail address asked
for, the clinic booked, the questionnaire link, the API token) in the shared cache
`limits` (a database table: every web worker and node counts together). The rates are
settings (`ACUBACK_RATE_LIMITS`, from `ACUBACK_LIMIT_*`); a refused request gets a 429
that says when to try again (`Retry-After`). Log-in has its own lockout (django-axes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math

from django.conf import settings
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

from acuback.client_address import client_ip

logger = logging.getLogger(__name__)

CACHE = "limits"


def client_address(request: HttpRequest) -> str:
    # The address the audit log records (behind the proxy, the client the proxy saw).
    return client_ip(request) or "unknown"


def retry_after(request: HttpRequest, *counts: tuple[str, str]) -> int | None:
    """Count this request against each named limit for its target value; the seconds
    until the client may try again when any limit is exceeded, else None."""
    wait = None
    for name, target in counts:
        rate = settings.ACUBACK_RATE_LIMITS.get(name)
        if not rate:
            continue
        usage = get_usage(request, group=f"acuback.{name}", key=lambda _g, _r, t=target: t,
                          rate=rate, increment=True)
        if usage is not None and usage["should_limit"]:
            logger.warning("rate limit %s exceeded", name)
            wait = max(wait or 1, usage["time_left"], 1)
    return wait


def _minutes(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return "a minute" if minutes <= 1 else f"{minutes} minutes"


def too_many_page(request: HttpRequest, seconds: int) -> HttpResponse:
    """The 429 page of the public forms."""
    response = render(request, "web/error.html", {
        "title": "Too many requests",
        "message": f"We have had too many requests like this one. Please try again in "
                   f"{_minutes(seconds)}, or call the clinic.",
    }, status=429)
    response["Retry-After"] = str(seconds)
    return response


def too_many_fhir(seconds: int) -> HttpResponse:
    body = {"resourceType": "OperationOutcome", "issue": [{
        "severity": "error", "code": "throttled",
        "diagnostics": f"too many requests for this token; retry after {seconds} seconds"}]}
    response = HttpResponse(json.dumps(body), status=429,
                            content_type="application/fhir+json; charset=utf-8")
    response["Retry-After"] = str(seconds)
    return response


def too_many_json(seconds: int) -> HttpResponse:
    response = HttpResponse(json.dumps({
        "detail": f"too many requests for this token; retry after {seconds} seconds"}),
        status=429, content_type="application/json")
    response["Retry-After"] = str(seconds)
    return response


def _api_caller(request: HttpRequest) -> str | None:
    """Who an API request counts against: its bearer token (as a digest), else the
    logged-in user; None for a request without either, which gets no data (a 401, or
    the API's description) and so costs little."""
    header = request.headers.get("Authorization", "")
    kind, _, raw = header.partition(" ")
    if kind.lower() == "bearer" and raw.strip():
        return "token:" + hashlib.sha256(raw.strip().encode()).hexdigest()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


OAUTH_TOKEN_PATH = "/oauth/token/"  # noqa: S105 - a path, not a secret  # nosec


def _oauth_client_id(request: HttpRequest) -> str | None:
    """Which app a token request says it is: client_id, HTTP Basic's user, or the issuer
    of its client assertion (read unverified: it only picks the counter)."""
    import base64

    import jwt

    if request.POST.get("client_id"):
        return request.POST["client_id"][:255]
    kind, _, value = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() == "basic":
        try:
            return base64.b64decode(value).decode().partition(":")[0][:255] or None
        except (ValueError, UnicodeDecodeError):
            return None
    try:
        issuer = jwt.decode(request.POST.get("client_assertion", ""),
                            options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None
    return issuer[:255] if isinstance(issuer, str) else None


def too_many_oauth(seconds: int) -> HttpResponse:
    """RFC 6749 has no error code for this: invalid_request with a 429 and Retry-After."""
    response = HttpResponse(json.dumps({
        "error": "invalid_request",
        "error_description": f"too many token requests; retry after {seconds} seconds"}),
        status=429, content_type="application/json")
    response["Retry-After"] = str(seconds)
    return response


class ApiRateLimitMiddleware:
    """Limits the FHIR API (/fhir) and the JSON API (/api/) per token, and the OAuth token
    endpoint per app and per client address: a 429 in each API's own error format. After
    the authentication middleware (session users)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path == OAUTH_TOKEN_PATH and request.method == "POST":
            counts = [("oauth_token_per_client", client_address(request))]
            app = _oauth_client_id(request)
            if app is not None:
                counts.append(("oauth_token_per_app", app))
            wait = retry_after(request, *counts)
            if wait is not None:
                return too_many_oauth(wait)
        fhir = path == "/fhir" or path.startswith("/fhir/")
        caller = _api_caller(request) if fhir or path.startswith("/api/") else None
        if caller is not None:
            wait = retry_after(request, ("api_per_token", caller))
            if wait is not None:
                return too_many_fhir(wait) if fhir else too_many_json(wait)
        return self.get_response(request)


class LimitsCache(DatabaseCache):
    """Django's database cache with an atomic `incr`: two workers counting the same
    request at once both count (the base class reads, then writes)."""

    def incr(self, key, delta=1, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        with transaction.atomic(using=db):
            # SQLite takes the write lock at BEGIN (transaction_mode IMMEDIATE in
            # settings); PostgreSQL locks the counter's row until the new value is written.
            if connection.features.has_select_for_update:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT cache_key FROM {connection.ops.quote_name(self._table)} "  # noqa: S608 - the table name is a setting  # nosec B608
                        "WHERE cache_key = %s FOR UPDATE",
                        [self.make_and_validate_key(key, version=version)])
            return super().incr(key, delta, version)
