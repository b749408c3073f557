"""django-oauth-toolkit's validator, taught SMART: SMART v2 scopes, the launch context
carried by every token (and its refreshes), and Backend Services' signed client
assertion (RFC 7523 private_key_jwt, checked against the app's registered JWKS)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http.request import split_domain_port, validate_host
from django.utils import timezone
from oauth2_provider.models import RefreshToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from .models import AppKind, ClientAssertionUse, SmartAuthorization
from .smart import (
    ASSERTION_ALGORITHMS,
    ASSERTION_MAX_SECONDS,
    ASSERTION_TYPE,
    app_for_client,
    checksum,
    grant_of,
    token_issued,
)
from .smart_scopes import ScopeError

# Clock difference allowed between the app and the server when checking its assertion.
ASSERTION_LEEWAY_SECONDS = 60


def _body(request) -> dict[str, str]:
    return dict(request.decoded_body or [])


def _token_url(request) -> str:
    """This token endpoint's address as the app sees it (the `aud` of its assertion): the
    toolkit hands over the request's path and the Django request's META as headers, with
    X_DJANGO_OAUTH_TOOLKIT_SECURE when Django saw HTTPS (behind the proxy too)."""
    headers = request.headers
    scheme = "https" if headers.get("X_DJANGO_OAUTH_TOOLKIT_SECURE") else "http"
    host = headers.get("HTTP_HOST") or headers.get("SERVER_NAME", "")
    if not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
        return ""  # not a name this server answers to: no audience matches
    return f"{scheme}://{host}{urlsplit(request.uri).path}"


class SmartValidator(OAuth2Validator):

    # -- which app ---------------------------------------------------------------------------

    def _load_application(self, client_id, request):
        """A revoked app is no app: its client id is unknown from then on."""
        application = super()._load_application(client_id, request)
        if application is not None and app_for_client(application.client_id) is None:
            request.client = None
            return None
        return application

    def client_authentication_required(self, request, *args, **kwargs):
        if _body(request).get("client_assertion_type"):
            return True
        return super().client_authentication_required(request, *args, **kwargs)

    def authenticate_client(self, request, *args, **kwargs):
        """A backend service signs a JWT; other confidential apps send their secret."""
        body = _body(request)
        if "client_assertion_type" in body or "client_assertion" in body:
            return self._authenticate_assertion(request, body)
        return super().authenticate_client(request, *args, **kwargs)

    def _authenticate_assertion(self, request, body: dict[str, str]) -> bool:
        """SMART Backend Services: the app's JWT, signed with RS384 or ES384 by a key of the
        JWKS registered for it, for this token endpoint (aud), at most five minutes long,
        each jti once."""
        if body.get("client_assertion_type") != ASSERTION_TYPE:
            return False
        assertion = body.get("client_assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return False
        client_id = unverified.get("iss")
        if not isinstance(client_id, str) or unverified.get("sub") != client_id:
            return False
        app = app_for_client(client_id)
        if app is None or app.kind != AppKind.BACKEND or \
                header.get("alg") not in ASSERTION_ALGORITHMS:
            return False
        token_url = _token_url(request)
        kid = header.get("kid")
        for key in app.jwks.get("keys", []):
            if kid is not None and key.get("kid") not in (None, kid):
                continue
            try:
                claims = jwt.decode(assertion, jwt.PyJWK(key, header["alg"]).key,
                                    algorithms=[header["alg"]], audience=token_url,
                                    issuer=client_id, leeway=ASSERTION_LEEWAY_SECONDS,
                                    options={"require": ["exp", "iss", "sub", "aud", "jti"]})
            except (jwt.PyJWTError, ValueError, TypeError, KeyError):
                continue
            expires = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
            if (expires - timezone.now()).total_seconds() > \
                    ASSERTION_MAX_SECONDS + ASSERTION_LEEWAY_SECONDS:
                return False
            try:
                with transaction.atomic():
                    ClientAssertionUse.objects.create(app=app, jti=str(claims["jti"])[:255],
                                                      expires_at=expires)
            except IntegrityError:
                return False  # replayed
            request.client = app.application
            request.client_id = client_id
            return True
        return False

    # -- scopes ------------------------------------------------------------------------------

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        return []

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        """SMART scopes (smart_scopes): a backend service asks for system/ scopes, an app
        people use for patient/ or user/ ones; an error names the scope refused."""
        try:
            grant = grant_of(" ".join(scopes))
        except ScopeError as error:
            raise errors.InvalidScopeError(description=str(error), request=request) \
                from error
        app = app_for_client(client.client_id) if client is not None else None
        backend = app is not None and app.kind == AppKind.BACKEND
        if not grant.resources:
            raise errors.InvalidScopeError(description="ask for at least one resource scope "
                                           "(e.g. patient/*.rs)", request=request)
        if backend != (grant.contexts == {"system"}):
            raise errors.InvalidScopeError(
                description="system/ scopes are for backend services; an app people use "
                            "asks for patient/ or user/ scopes", request=request)
        return True

    # -- codes and tokens --------------------------------------------------------------------

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        """The code carries the consent the person gave on the authorise page."""
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        SmartAuthorization.objects.filter(
            pk=getattr(request, "acuback_authorization_id", None)).update(
            code_digest=checksum(code["code"]))

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        access_token = super()._create_access_token(expires, request, token,
                                                    source_refresh_token=source_refresh_token)
        request.acuback_access_token = access_token
        return access_token

    def _save_bearer_token(self, token, request, *args, **kwargs):
        app = app_for_client(request.client.client_id)
        if app is None:
            raise errors.InvalidClientError(request=request)
        authorization = None
        if request.grant_type == "authorization_code":
            authorization = SmartAuthorization.objects.select_related("user", "patient").filter(
                app=app, code_digest=checksum(request.code), revoked_at__isnull=True).first()
        elif request.grant_type == "refresh_token":
            family = getattr(request.refresh_token_instance, "token_family", None)
            authorization = SmartAuthorization.objects.select_related("user", "patient").filter(
                app=app, token_family=family, revoked_at__isnull=True).first() \
                if family else None
        if request.grant_type != "client_credentials" and authorization is None:
            raise errors.InvalidGrantError(description="this authorisation was withdrawn",
                                           request=request)
        if not grant_of(token.get("scope", "")).offline:
            token.pop("refresh_token", None)  # a refresh token only for offline_access
        super()._save_bearer_token(token, request, *args, **kwargs)
        access_token = request.acuback_access_token
        refresh_token = RefreshToken.objects.filter(access_token=access_token).first() \
            if "refresh_token" in token else None
        token_issued(access_token=access_token, app=app, authorization=authorization,
                     grant_type=request.grant_type, refresh_token=refresh_token)
        if authorization is not None and authorization.patient_id is not None:
            token["patient"] = str(authorization.patient_id)  # SMART launch context
