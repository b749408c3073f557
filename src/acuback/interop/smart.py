"""SMART App Launch 2.0 and Backend Services: the apps a clinic registers, the consent a
person gives one, and the caller a SMART access token stands for. The OAuth 2.0 protocol
itself (codes, PKCE, tokens, refresh, revocation) is django-oauth-toolkit's
(interop/oauth.py holds its validator)."""

from __future__ import annotations

import hashlib
import json
from typing import cast
from urllib.parse import urlsplit

import jwt
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, RefreshToken

from acuback.accounts import policy
from acuback.accounts.models import Clinic, Membership, Role, User
from acuback.audit.services import audit_record
from acuback.patients.models import Patient

from .models import AppKind, Scope, SmartApp, SmartAuthorization, SmartTokenContext
from .resources import KINDS
from .services import AuthError, Caller, SmartContext
from .smart_scopes import ScopeError, ScopeGrant, parse_scopes

# Backend Services: the signatures SMART asks servers to support (RS384 and ES384).
ASSERTION_ALGORITHMS = ("RS384", "ES384")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# SMART Backend Services: an assertion expires no more than five minutes in the future.
ASSERTION_MAX_SECONDS = 300
# RFC 8252: an app on the person's own machine may receive its code over plain http.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def checksum(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def grant_of(scope_text: str) -> ScopeGrant:
    return parse_scopes(scope_text.split(), KINDS)


# --- registration (the clinic admin's page) ------------------------------------------------

def _redirect_uris(text: str) -> list[str]:
    """Each redirect URI: https, or http on this machine only (RFC 8252 loopback)."""
    uris = text.split()
    for uri in uris:
        try:
            parts = urlsplit(uri)
            hostname = parts.hostname
        except ValueError:  # e.g. an unclosed IPv6 bracket
            parts, hostname = None, None
        if parts is None or parts.fragment or not parts.netloc or parts.scheme not in ("https", "http") or (
                parts.scheme == "http" and hostname not in LOOPBACK_HOSTS):
            raise ValidationError({"redirect_uris": f"{uri!r}: a redirect URI is an https "
                                   "address without a #fragment (http only for "
                                   "127.0.0.1 or localhost)."})
    return uris


def jwks_keys(jwks) -> list[dict]:
    """The public keys of a JWKS that can check an RS384 or ES384 signature; ValidationError
    naming the field otherwise. Private keys are refused: the app keeps those."""
    if isinstance(jwks, str):
        try:
            jwks = json.loads(jwks)
        except (ValueError, RecursionError) as error:
            raise ValidationError({"jwks": "The JWKS is not JSON."}) from error
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        raise ValidationError({"jwks": 'A JWKS is {"keys": [...]} with at least one key.'})
    usable = []
    for n, key in enumerate(keys):
        if not isinstance(key, dict) or key.get("kty") not in ("RSA", "EC"):
            raise ValidationError({"jwks": f"keys[{n}]: an RSA or EC public key (kty)."})
        if "d" in key:
            raise ValidationError({"jwks": f"keys[{n}] is a private key: register the "
                                           "public key only."})
        try:
            jwt.PyJWK(key, key.get("alg") or ("RS384" if key["kty"] == "RSA" else "ES384"))
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, KeyError, TypeError) as error:
            raise ValidationError({"jwks": f"keys[{n}] is not a usable key: {error}"}) \
                from error
        usable.append(key)
    return usable


def app_register(*, clinic: Clinic, name: str, kind: str, redirect_uris: str = "",
                 jwks=None, acts_as=None, request: HttpRequest) -> tuple[SmartApp, str | None]:
    """Register an app; returns it and, for a confidential app, its secret (shown once)."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the app a name people will recognise on the consent screen."
    if kind not in AppKind.values:
        errors["kind"] = "Choose what kind of app it is."
    if errors:
        raise ValidationError(errors)
    uris: list[str] = []
    keys: list[dict] = []
    if kind == AppKind.BACKEND:
        keys = jwks_keys(jwks)
        if acts_as is None or not Membership.objects.filter(
                user=acts_as, clinic=clinic).exclude(role=Role.PATIENT).exists():
            raise ValidationError({"acts_as": "A backend service acts as a member of staff "
                                               "of this clinic."})
        if not policy.can(acts_as, "admin.site", clinic):
            raise ValidationError({"acts_as": f"{acts_as.username} is not a clinic admin: "
                                              "bulk export (system/*.rs) needs one."})
    else:
        uris = _redirect_uris(redirect_uris)
        if not uris:
            raise ValidationError({"redirect_uris": "Give at least one redirect URI."})
    secret = generate_client_secret() if kind == AppKind.CONFIDENTIAL else None
    with transaction.atomic():
        application = Application.objects.create(
            name=name.strip(), user=request.user, redirect_uris=" ".join(uris),
            client_type=Application.CLIENT_PUBLIC if kind == AppKind.PUBLIC
            else Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
            if kind == AppKind.BACKEND else Application.GRANT_AUTHORIZATION_CODE,
            client_secret=secret or "", hash_client_secret=True)
        app = SmartApp.objects.create(clinic=clinic, application=application, kind=kind,
                                      jwks={"keys": keys} if keys else {},
                                      acts_as=acts_as if kind == AppKind.BACKEND else None,
                                      created_by=cast(User, request.user))  # logged in
        audit_record(request=request, action="smart_app.register", clinic=clinic, target=app,
                     detail={"name": application.name, "kind": kind,
                             "client_id": application.client_id, "redirect_uris": uris,
                             "acts_as": getattr(acts_as, "username", None)})
    return app, secret


def app_revoke(*, app: SmartApp, request: HttpRequest) -> int:
    """Revoke an app and every token and authorisation it holds; returns how many access
    tokens stopped working. Kept (revoked), not deleted: the audit log names it."""
    with transaction.atomic():
        now = timezone.now()
        SmartApp.objects.filter(pk=app.pk, revoked_at__isnull=True).update(revoked_at=now)
        SmartAuthorization.objects.filter(app=app, revoked_at__isnull=True).update(
            revoked_at=now)
        RefreshToken.objects.filter(application_id=app.application_id,
                                    revoked__isnull=True).update(revoked=now)
        count, _ = AccessToken.objects.filter(application_id=app.application_id).delete()
        audit_record(request=request, action="smart_app.revoke", clinic=app.clinic_id,
                     target=app, detail={"access_tokens": count})
    return count


def authorization_revoke(*, authorization: SmartAuthorization, request: HttpRequest) -> None:
    """Withdraw one person's consent: its tokens stop working at once."""
    with transaction.atomic():
        SmartAuthorization.objects.filter(pk=authorization.pk, revoked_at__isnull=True) \
            .update(revoked_at=timezone.now())
        if authorization.token_family:
            RefreshToken.revoke_family(authorization.token_family)
        AccessToken.objects.filter(pk__in=SmartTokenContext.objects.filter(
            authorization=authorization).values("access_token_id")).delete()
        audit_record(request=request, action="smart_app.authorization_revoke",
                     clinic=authorization.clinic_id, target=authorization,
                     patient=authorization.patient,
                     detail={"app": authorization.app.application.name,
                             "user": authorization.user.username})


# --- consent (the authorise page) ----------------------------------------------------------

def app_for_client(client_id: str) -> SmartApp | None:
    return SmartApp.objects.select_related("application", "clinic").filter(
        application__client_id=client_id, revoked_at__isnull=True).first()


def launch_patients(*, user, clinic: Clinic):
    """Whom the person may open in a patient launch: a patient their own record; staff
    the clinic's patients they may see (the clinical record still follows the care rule
    on every request)."""
    return Patient.objects.visible_to(user).filter(clinic=clinic).order_by(
        "family_name", "given_name", "pk")


def own_patient(user, clinic: Clinic) -> Patient | None:
    if not policy.can(user, "portal.own_record", clinic):
        return None
    return Patient.objects.filter(portal_user=user, clinic=clinic).first()


def consent_refusal(*, app: SmartApp, user, grant: ScopeGrant) -> str | None:
    """Why this person cannot authorise this app for these scopes, or None."""
    if app.kind == AppKind.BACKEND:
        return "this app is a backend service: it has no person to log in"
    if "system" in grant.contexts:
        return "system/ scopes are for backend services"
    staff = policy.can(user, "patient.view", app.clinic)
    patient = own_patient(user, app.clinic)
    if not staff and patient is None:
        return f"your account has no access to {app.clinic.name}"
    if patient is not None and not staff and "user" in grant.contexts:
        return "a patient's app asks for patient/ scopes (your own record)"
    if "patient" in grant.contexts and not grant.launch_patient:
        return "patient/ scopes need launch/patient (which patient's record)"
    return None


def authorization_create(*, app: SmartApp, user, scope: str, patient: Patient | None,
                         request: HttpRequest) -> SmartAuthorization:
    """The person's consent; its code is linked when django-oauth-toolkit makes it."""
    with transaction.atomic():
        authorization = SmartAuthorization.objects.create(
            app=app, clinic=app.clinic, user=user, patient=patient, scope=scope)
        audit_record(request=request, action="smart_app.authorize", clinic=app.clinic,
                     patient=patient, target=authorization,
                     detail={"app": app.application.name, "scope": scope})
    return authorization


# --- tokens ---------------------------------------------------------------------------------

def smart_caller(request: HttpRequest, raw: str) -> Caller:
    """The caller a SMART access token stands for, or AuthError saying why not. Its user's
    rights are checked on every request, as for an API token."""
    token = AccessToken.objects.select_related(
        "smart_context__app__clinic", "smart_context__app__application",
        "smart_context__app__acts_as", "smart_context__authorization__user").filter(
        token_checksum=checksum(raw)).first()
    context = getattr(token, "smart_context", None) if token is not None else None
    if token is None or context is None:
        raise AuthError(401, "unknown token")
    if token.expires <= timezone.now():
        raise AuthError(401, "this token has expired")
    app, authorization = context.app, context.authorization
    if app.revoked_at is not None or (authorization and authorization.revoked_at):
        raise AuthError(401, "this app's access was revoked")
    user = authorization.user if authorization else app.acts_as
    if user is None or not user.is_active:
        raise AuthError(401, "this token's user is inactive")
    try:
        grant = grant_of(token.scope)
    except ScopeError as error:  # a scope granted before the rules changed
        raise AuthError(401, str(error)) from error
    own = authorization is not None and authorization.patient_id is not None and \
        authorization.patient.portal_user_id == user.pk
    scopes = {Scope.READ} if grant.resources else set()
    if "system" in grant.contexts:
        scopes.add(Scope.EXPORT)
    request.user = user  # the audit trail names the app's user
    return Caller(user, app.clinic_id, frozenset(scopes), smart=SmartContext(
        grant=grant, patient_id=authorization.patient_id if authorization else None,
        own_record=own, app_name=app.application.name))


def token_issued(*, access_token: AccessToken, app: SmartApp,
                 authorization: SmartAuthorization | None, grant_type: str,
                 refresh_token: RefreshToken | None) -> None:
    """Tie a new access token to what it stands for, and audit the issue."""
    SmartTokenContext.objects.create(access_token=access_token, app=app,
                                     authorization=authorization)
    if authorization is not None and refresh_token is not None and \
            authorization.token_family != refresh_token.token_family:
        SmartAuthorization.objects.filter(pk=authorization.pk).update(
            token_family=refresh_token.token_family)
    audit_record(request=None, action="smart_app.token_refresh" if grant_type ==
                 "refresh_token" else "smart_app.token_issue", clinic=app.clinic_id,
                 actor=authorization.user if authorization else app.acts_as,
                 patient=authorization.patient if authorization else None,
                 target=app, detail={"grant_type": grant_type, "scope": access_token.scope,
                                     "expires": access_token.expires.isoformat(),
                                     "refresh_token": refresh_token is not None})

