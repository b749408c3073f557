"""Patient and consent forms: every rule here answers with a message on its field."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils import timezone

from acuback.accounts import zones
from acuback.digits import AsciiDigitsMixin

from .models import ConsentForm, Patient

PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")
OLDEST_AGE_YEARS = 125


def validate_phone(value: str, field_label: str) -> None:
    if value and not PHONE_RE.match(value):
        raise forms.ValidationError(
            f"Enter {field_label} with digits, spaces, +, -, or brackets only (at least 6 digits)."
        )


class PatientForm(AsciiDigitsMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Patient
        fields = [
            "mrn",
            "given_name",
            "family_name",
            "preferred_name",
            "date_of_birth",
            "sex_at_birth",
            "gender_identity",
            "email",
            "phone",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postal_code",
            "preferred_language",
            "emergency_contact_name",
            "emergency_contact_relationship",
            "emergency_contact_phone",
        ]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        labels = {"mrn": "Medical record number (MRN)", "address_line1": "Address line 1",
                  "address_line2": "Address line 2", "region": "State or region",
                  "postal_code": "Postal code (ZIP)", "sex_at_birth": "Sex at birth",
                  "emergency_contact_name": "Emergency contact's name",
                  "emergency_contact_relationship": "Emergency contact's relationship",
                  "emergency_contact_phone": "Emergency contact's phone", "email": "E-mail"}

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["mrn"].required = False
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["mrn"].help_text = "Unique within the clinic."

    def register_anyway(self) -> bool:
        """The front desk said none of the likely duplicates offered is this person."""
        return self.data.get("register_anyway") in ("on", "true", "1")

    def offer_register_anyway(self) -> None:
        """Likely duplicates were found: registering still needs the front desk to say
        that none of them is this person (issue #28 §4)."""
        self.fields["register_anyway"] = forms.BooleanField(
            required=False, label="None of these is this person: register a new patient")

    def clean_mrn(self) -> str:
        mrn = self.cleaned_data.get("mrn", "").strip().upper()
        if mrn and not re.fullmatch(r"[A-Z0-9-]{1,20}", mrn):
            raise forms.ValidationError("Use letters, digits and hyphens only (at most 20).")
        if mrn:
            clash = Patient.objects.filter(clinic=self.clinic, mrn=mrn)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise forms.ValidationError(
                    f"MRN {mrn} is already used by another patient of this clinic."
                )
        return mrn

    def clean_date_of_birth(self) -> date:
        dob = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if dob > today:
            raise forms.ValidationError("Date of birth cannot be in the future.")
        if dob.year < today.year - OLDEST_AGE_YEARS:
            raise forms.ValidationError(
                f"Date of birth is more than {OLDEST_AGE_YEARS} years ago; check the year."
            )
        return dob

    def clean_phone(self) -> str:
        value = self.cleaned_data.get("phone", "").strip()
        validate_phone(value, "a phone number")
        return value

    def clean_emergency_contact_phone(self) -> str:
        value = self.cleaned_data.get("emergency_contact_phone", "").strip()
        validate_phone(value, "the emergency contact's phone number")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("emergency_contact_name") and not cleaned.get("emergency_contact_phone"):
            self.add_error(
                "emergency_contact_phone", "Give a phone number for the emergency contact."
            )
        return cleaned

    def _get_validation_exclusions(self):
        # The clinic is not a form field; MRN uniqueness is checked in clean_mrn.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("mrn")
        return exclusions


class PatientSearchForm(AsciiDigitsMixin, forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"placeholder": "Name, MRN, date of birth (YYYY-MM-DD), phone or e-mail",
                   "type": "search"}
        ),
    )


class ConsentRecordForm(AsciiDigitsMixin, forms.Form):
    form = forms.ModelChoiceField(
        queryset=ConsentForm.objects.none(), label="Consent form", empty_label="Choose a form…"
    )
    signature_name = forms.CharField(
        label="Signature (typed full name)",
        max_length=200,
        help_text="The signer types their full name after reading the form.",
    )
    signed_by_representative = forms.BooleanField(
        required=False, label="Signed by a parent, guardian or legal representative"
    )

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["form"].queryset = ConsentForm.objects.filter(
            clinic_id=patient.clinic_id, is_current=True
        )

    def clean_signature_name(self) -> str:
        name = " ".join(self.cleaned_data["signature_name"].split())
        if len(name) < 2:
            raise forms.ValidationError("Type the signer's full name.")
        return name

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("signature_name")
        minor = self.patient.signer_problem(bool(cleaned.get("signed_by_representative")),
                                            zones.today_at(self.patient.clinic))
        if minor:
            self.add_error("signed_by_representative", minor)
        elif name and not cleaned.get("signed_by_representative"):
            expected = {self.patient.full_name.casefold()}
            if self.patient.preferred_name:
                expected.add(f"{self.patient.preferred_name} {self.patient.family_name}".casefold())
            if name.casefold() not in expected:
                self.add_error(
                    "signature_name",
                    f"The typed name does not match the patient ({self.patient.full_name}). "
                    "If a representative signs, tick the box below.",
                )
        return cleaned


class ConsentWithdrawForm(AsciiDigitsMixin, forms.Form):
    reason = forms.CharField(
        label="Reason for withdrawal", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class CorrectionRequestForm(AsciiDigitsMixin, forms.Form):
    text = forms.CharField(
        label="What is wrong in your record, and what should it say?", max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Say which page or visit, if you can. A member of the care team answers.")
