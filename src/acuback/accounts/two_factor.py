"""Two-factor log-in for staff: a TOTP app (enrolled with a QR code) and ten single-use
recovery codes. django-otp stores the devices and checks the codes (with its own
throttling of repeated wrong codes)."""

from __future__ import annotations

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from acuback.audit.services import audit_record

RECOVERY_CODES = 10


class CodeForm(forms.Form):
    code = forms.CharField(max_length=16, label="Code",
                           help_text="The 6 digits your app shows now, or a recovery code.",
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                         "inputmode": "numeric",
                                                         "autofocus": True}))

    def clean_code(self) -> str:
        return self.cleaned_data["code"].replace(" ", "").strip()


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return "/"


def recovery_codes_issue(user) -> list[str]:
    """Replace the user's recovery codes with ten new ones (shown once)."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name="recovery")
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code, type the code it shows."""
    if user_has_device(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': _next(request)})}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first() or \
        TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            codes = recovery_codes_issue(request.user)
            audit_record(request=request, action="auth.2fa.enrol")
            return render(request, "accounts/2fa_codes.html",
                          {"codes": codes, "next": _next(request)})
        form.add_error("code", "That code does not match: check the time on your phone and "
                               "type the code shown now.")
    qr = segno.make(device.config_url, error="m")
    secret = device.config_url.split("secret=")[1].split("&")[0]
    return render(request, "accounts/2fa_setup.html", {
        "form": form, "qr_svg": qr.svg_inline(scale=5, dark="#17313e"), "secret": secret,
        "next": _next(request)}, status=400 if form.errors else 200)


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of logging in."""
    if not user_has_device(request.user):
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': _next(request)})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            audit_record(request=request, action="auth.2fa.verify",
                         detail={"method": "recovery code" if isinstance(device, StaticDevice)
                                 else "authenticator"})
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(request, f"Recovery code used: {left} left. Make new ones "
                                          "under Two-factor if you are running low.")
            return redirect(_next(request))
        audit_record(request=request, action="auth.2fa.failure")
        form.add_error("code", "That code is not right (or was already used).")
    return render(request, "accounts/2fa_verify.html", {"form": form, "next": _next(request)},
                  status=400 if form.errors else 200)


@login_required
def recovery(request: HttpRequest) -> HttpResponse:
    """New recovery codes, for a verified user (the old ones stop working)."""
    if not request.user.is_verified():
        return redirect("two_factor_verify")
    if request.method == "POST":
        codes = recovery_codes_issue(request.user)
        audit_record(request=request, action="auth.2fa.recovery_codes")
        return render(request, "accounts/2fa_codes.html", {"codes": codes, "next": "/"})
    return render(request, "accounts/2fa_recovery.html")
