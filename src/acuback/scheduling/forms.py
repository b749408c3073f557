from __future__ import annotations

from datetime import datetime

from django import forms

from acuback.accounts import zones
from acuback.accounts.models import Location, Practitioner
from acuback.digits import AsciiDigitsMixin
from acuback.patients.models import Patient
from acuback.web.params import EARLIEST, LATEST, DateField

from .models import AppointmentType


class SlotSearchForm(AsciiDigitsMixin, forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    practitioner = forms.ModelChoiceField(queryset=Practitioner.objects.none())
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    type = forms.ModelChoiceField(queryset=AppointmentType.objects.none(),
                                  label="Appointment type")
    day = DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["patient"].queryset = Patient.objects.filter(
            clinic=clinic, is_active=True, archived_at__isnull=True)  # archived: not bookable
        self.fields["practitioner"].queryset = Practitioner.objects.filter(clinic=clinic,
                                                                           is_active=True)
        self.fields["location"].queryset = Location.objects.filter(clinic=clinic,
                                                                   is_active=True)
        self.fields["type"].queryset = AppointmentType.objects.filter(clinic=clinic,
                                                                      is_active=True)

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("day")
        # Past on the location's calendar, which may not be the desk's (the clinic's).
        if day is not None and day < zones.today_at(cleaned.get("location") or self.clinic):
            self.add_error("day", "That date is in the past.")
        return cleaned


class CancelForm(AsciiDigitsMixin, forms.Form):
    reason = forms.CharField(max_length=300)


def parse_aware(text: str) -> datetime | None:
    """A time-zone-aware datetime from a posted slot value, or None; also None outside
    the dates the system handles (web.params), where turning it into the location's
    time would step past Python's last date."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if value.tzinfo is None or not EARLIEST <= value.date() <= LATEST:
        return None
    return value
