"""The clinic admin's page for SMART apps: register one (its secret shown once), see each
app and the people who authorised it, revoke an app or one person's authorisation."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from acuback.accounts.models import Membership, Role, User
from acuback.audit.services import audit_record

from . import smart
from .models import AppKind, SmartApp, SmartAuthorization
from .token_views import _clinic


class AppForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Shown to people on the consent page.")
    kind = forms.ChoiceField(choices=AppKind.choices, widget=forms.RadioSelect,
                             label="Kind of app")
    redirect_uris = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Redirect URIs",
        help_text="Apps people use: where the app receives its code, one per line (https; "
                  "http only for 127.0.0.1 or localhost).")
    jwks = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), label="Public keys (JWKS)",
        help_text='Backend services: the app\'s public keys as a JWKS ({"keys": [...]}), '
                  "RS384 or ES384. Stored here; acuback never fetches keys.")
    acts_as = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Acts as",
        help_text="Backend services: the clinic admin whose access it uses.")

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        admins = Membership.objects.filter(clinic=clinic, role=Role.CLINIC_ADMIN)
        self.fields["acts_as"].queryset = User.objects.filter(
            pk__in=admins.values("user_id")).order_by("username")


@login_required
def app_list(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form = AppForm(request.POST or None, clinic=clinic)
    created, secret, status = None, None, 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                created, secret = smart.app_register(
                    clinic=clinic, name=data["name"], kind=data["kind"],
                    redirect_uris=data["redirect_uris"], jwks=data["jwks"] or None,
                    acts_as=data["acts_as"], request=request)
                form = AppForm(clinic=clinic)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
                status = 400
        else:
            status = 400
    now = timezone.now()
    apps = SmartApp.objects.filter(clinic=clinic).select_related("application", "acts_as") \
        .annotate(live_tokens=Count("tokens", filter=Q(tokens__access_token__expires__gt=now)))
    authorizations = list(
        SmartAuthorization.objects.filter(clinic=clinic, revoked_at__isnull=True)
        .select_related("user", "patient", "app__application")
        .annotate(live_tokens=Count("tokens", filter=Q(tokens__access_token__expires__gt=now)))
        .order_by("-created_at")[:200])
    patients = sorted({a.patient_id for a in authorizations if a.patient_id})
    if patients:  # the page names the patients whose records the apps open
        audit_record(request=request, action="smart_app.list", clinic=clinic,
                     detail={"patients": patients[:100]})
    return render(request, "interop/apps.html", {
        "form": form, "apps": apps, "authorizations": authorizations, "created": created,
        "secret": secret, "base": request.build_absolute_uri("/").rstrip("/")}, status=status)


@login_required
@require_POST
def app_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    app = get_object_or_404(SmartApp, pk=pk, clinic=clinic)
    count = smart.app_revoke(app=app, request=request)
    messages.success(request, f"App '{app}' revoked: {count} access token(s) stopped working "
                              "and it can get no new ones.")
    return redirect("smart_apps")


@login_required
@require_POST
def authorization_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    authorization = get_object_or_404(SmartAuthorization.objects.select_related(
        "app__application", "user", "patient"), pk=pk, clinic=clinic)
    smart.authorization_revoke(authorization=authorization, request=request)
    messages.success(request, f"{authorization.user.username}'s authorisation of "
                              f"'{authorization.app}' revoked.")
    return redirect("smart_apps")
