from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from acuback.digits import AsciiDigitsMixin

from .models import Credential


class LoginForm(AsciiDigitsMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": "That username and password do not match an account. "
        "Both are case-sensitive.",
        "inactive": "This account is disabled. Ask your clinic admin.",
    }


class PasswordResetRequestForm(AsciiDigitsMixin, forms.Form):
    email = forms.EmailField(label="Your e-mail address",
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class CredentialForm(AsciiDigitsMixin, forms.ModelForm):
    class Meta:
        model = Credential
        fields = [
            "kind", "title", "issuer", "number", "jurisdiction", "status",
            "issued_on", "expires_on", "verified_on", "source_url",
            "degree_level", "degree_field", "accreditor",
        ]
        widgets = {
            "issued_on": forms.DateInput(attrs={"type": "date"}),
            "expires_on": forms.DateInput(attrs={"type": "date"}),
            "verified_on": forms.DateInput(attrs={"type": "date"}),
        }

    def clean_jurisdiction(self) -> str:
        return self.cleaned_data["jurisdiction"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        issued, expires = cleaned.get("issued_on"), cleaned.get("expires_on")
        if issued and expires and expires < issued:
            self.add_error("expires_on", "The expiry date is before the issue date.")
        if cleaned.get("kind") == "licence" and not cleaned.get("number"):
            self.add_error("number", "A licence needs its number.")
        if cleaned.get("verified_on") and not cleaned.get("source_url"):
            self.add_error(
                "source_url", "Say where it was verified (the register's or document's URL)."
            )
        return cleaned
