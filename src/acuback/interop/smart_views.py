"""SMART App Launch 2.0 endpoints: the discovery document, the authorise page (log in as
usual, two-factor included, then consent), the token and revocation endpoints
(django-oauth-toolkit's, audited)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.forms import AllowForm
from oauth2_provider.views import AuthorizationView, RevokeTokenView, TokenView

from acuback.audit.services import audit_record

from . import smart
from .resources import KINDS
from .smart_scopes import ScopeError, describe


def oauth_urls(request: HttpRequest) -> dict[str, str]:
    root = request.build_absolute_uri("/").rstrip("/")
    return {"authorize": f"{root}/oauth/authorize/", "token": f"{root}/oauth/token/",
            "revoke": f"{root}/oauth/revoke/", "manage": f"{root}/settings/apps/"}


SCOPES_SUPPORTED = ["launch/patient", "offline_access", "online_access",
                    *(f"{context}/*.rs" for context in ("patient", "user", "system")),
                    *(f"patient/{name}.rs" for name in KINDS),
                    *(f"user/{name}.rs" for name in KINDS)]


@require_GET
def smart_configuration(request: HttpRequest) -> HttpResponse:
    """/.well-known/smart-configuration (SMART App Launch 2.0 discovery): public."""
    urls = oauth_urls(request)
    return JsonResponse({
        "authorization_endpoint": urls["authorize"],
        "token_endpoint": urls["token"],
        "revocation_endpoint": urls["revoke"],
        "management_endpoint": urls["manage"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
                                                  "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": list(smart.ASSERTION_ALGORITHMS),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "scopes_supported": SCOPES_SUPPORTED,
        "code_challenge_methods_supported": ["S256"],
        "capabilities": ["launch-standalone", "client-public", "client-confidential-symmetric",
                         "client-confidential-asymmetric", "context-standalone-patient",
                         # Not permission-online: online_access gives no refresh token
                         # (integrator review); only offline_access does.
                         "permission-offline", "permission-patient",
                         "permission-user", "permission-v1", "permission-v2"],
    })


class ConsentForm(AllowForm):
    patient = forms.IntegerField(required=False, label="Patient", min_value=1,
                                 max_value=2**63 - 1,  # what the database can hold
                                 help_text="Whose record the app opens.")


def _redirect_origins(app) -> list[str]:
    origins = []
    for uri in app.application.redirect_uris.split():
        parts = urlsplit(uri)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def _refused(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return render(request, "interop/smart_refused.html", {"message": message}, status=status)


def _pkce_refusal(data) -> str | None:
    """SMART 2.0: PKCE with S256 on every authorisation request (plain is refused)."""
    if data.get("code_challenge_method") != "S256" or not data.get("code_challenge"):
        return ("The app must use PKCE with code_challenge_method=S256 (SMART App Launch "
                "2.0); this request has no S256 code challenge.")
    return None


def _aud_refusal(request: HttpRequest, data) -> str | None:
    """SMART: aud names the FHIR server the app wants; a token for another is refused."""
    aud = data.get("aud")
    fhir = request.build_absolute_uri("/fhir").rstrip("/")
    if aud is not None and aud.rstrip("/") != fhir:
        return f"aud {aud!r} is not this FHIR server ({fhir})."
    return None


@method_decorator(csrf_exempt, name="dispatch")
class TokenEndpoint(TokenView):
    """The token endpoint (rate-limited in acuback.web.limits)."""


@method_decorator(csrf_exempt, name="dispatch")
class RevokeEndpoint(RevokeTokenView):
    """RFC 7009 revocation by the app itself; audited."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        app = smart.app_for_client(request.POST.get("client_id", "")) \
            if request.POST.get("client_id") else None
        audit_record(request=request, action="smart_app.token_revoke",
                     clinic=app.clinic_id if app else None, target=app,
                     detail={"status": response.status_code,
                             "hint": request.POST.get("token_type_hint", "")[:20]})
        return response


class SmartAuthorizeView(AuthorizationView):
    """The authorise page: the person logs in as usual (two-factor included), sees what the
    app asks for in words, picks the patient for a patient launch, and allows or denies."""

    template_name = "interop/smart_authorize.html"
    form_class = ConsentForm

    def _context(self, request, client_id: str, scope: str):
        app = smart.app_for_client(client_id)
        try:
            grant = smart.grant_of(scope)
        except ScopeError as error:
            return app, None, str(error)
        if app is None:
            return None, grant, "this app is not registered here, or was revoked"
        refusal = smart.consent_refusal(app=app, user=request.user, grant=grant)
        return app, grant, refusal

    def get(self, request, *args, **kwargs):
        refusal = _pkce_refusal(request.GET) or _aud_refusal(request, request.GET)
        if refusal:
            return _refused(request, refusal)
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        app, grant, refusal = self._context(request, credentials["client_id"], " ".join(scopes))
        if refusal:
            return _refused(request, f"This app cannot be authorised: {refusal}.", 403)
        self.oauth2_data = {**credentials, "scope": scopes}
        return self._consent_page(self.get_form(self.get_form_class()), app, grant, scopes)

    def _consent_page(self, form, app, grant, scopes, status: int = 200):
        own = smart.own_patient(self.request.user, app.clinic) if grant.launch_patient \
            else None
        choose = grant.launch_patient and own is None
        if choose:
            patients = smart.launch_patients(user=self.request.user, clinic=app.clinic)
            form.fields["patient"].widget = forms.Select(choices=[("", "Choose a patient")] + [
                (p.pk, f"{p.family_name}, {p.given_name} ({p.mrn})") for p in patients[:500]])
        response = self.render_to_response(self.get_context_data(
            form=form, app=app, scope_words=[describe(s) for s in scopes], own_patient=own,
            choose_patient=choose, clinic=app.clinic), status=status)
        # The form's answer redirects to the app: the browser enforces CSP form-action on
        # that redirect, so this page allows the app's registered redirect origins.
        response._csp_update = {"form-action": _redirect_origins(app)}
        return response

    def form_valid(self, form):
        data = form.cleaned_data
        refusal = _pkce_refusal(data)
        app, grant, context_refusal = self._context(self.request, data["client_id"],
                                                    data["scope"])
        refusal = refusal or context_refusal
        if refusal:
            return _refused(self.request, f"This app cannot be authorised: {refusal}.", 403)
        patient = None
        if data.get("allow") and grant.launch_patient:
            own = smart.own_patient(self.request.user, app.clinic)
            patient = own or smart.launch_patients(
                user=self.request.user, clinic=app.clinic).filter(pk=data.get("patient") or 0) \
                .first()
            if patient is None:
                form.add_error("patient", "Choose the patient whose record the app opens.")
                return self.form_invalid(form)
        self.acuback_authorization_id = None
        if data.get("allow"):
            self.acuback_authorization_id = smart.authorization_create(
                app=app, user=self.request.user, scope=data["scope"], patient=patient,
                request=self.request).pk
        else:
            audit_record(request=self.request, action="smart_app.deny", clinic=app.clinic,
                         target=app, detail={"scope": data["scope"]})
        return super().form_valid(form)

    def form_invalid(self, form):
        app, grant, refusal = self._context(self.request, form.data.get("client_id", ""),
                                            form.data.get("scope", ""))
        if refusal:
            return _refused(self.request, f"This app cannot be authorised: {refusal}.", 403)
        return self._consent_page(form, app, grant, form.data.get("scope", "").split(), 400)

    def create_authorization_response(self, request, scopes, credentials, allow):
        # The consent travels with the code (SmartValidator.save_authorization_code).
        if allow and getattr(self, "acuback_authorization_id", None):
            credentials = {**credentials,
                           "acuback_authorization_id": self.acuback_authorization_id}
        return super().create_authorization_response(request, scopes, credentials, allow)

