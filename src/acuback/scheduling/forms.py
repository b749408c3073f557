from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone

from acuback.accounts.models import Location, Practitioner
from acuback.digits import AsciiDigitsMixin
from acuback.patients.models import Patient

from .models import AppointmentType


class SlotSearchForm(AsciiDigitsMixin, forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    practitioner = forms.ModelChoiceField(queryset=Practitioner.objects.none())
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    type = forms.ModelChoiceField(queryset=AppointmentType.objects.none(),
                                  label="Appointment type")
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = Patient.objects.filter(
            clinic=clinic, is_active=True, archived_at__isnull=True)  # archived: not bookable
        self.fields["practitioner"].queryset = Practitioner.objects.filter(clinic=clinic,
                                                                           is_active=True)
        self.fields["location"].queryset = Location.objects.filter(clinic=clinic,
                                                                   is_active=True)
        self.fields["type"].queryset = AppointmentType.objects.filter(clinic=clinic,
                                                                      is_active=True)

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day < timezone.localdate():
            raise forms.ValidationError("That date is in the past.")
        return day


class CancelForm(AsciiDigitsMixin, forms.Form):
    reason = forms.CharField(max_length=300)


def parse_aware(text: str) -> datetime | None:
    """A time-zone-aware datetime from a posted slot value, or None."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo is not None else None
