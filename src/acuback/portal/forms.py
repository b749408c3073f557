from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from acuback.accounts.models import Location
from acuback.scheduling.models import AppointmentType

BOOKING_HORIZON_DAYS = 120


class MagicLinkForm(forms.Form):
    email = forms.EmailField(label="Your e-mail address")


class BookingSearchForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    type = forms.ModelChoiceField(queryset=AppointmentType.objects.none(),
                                  label="Appointment type")
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(clinic=clinic,
                                                                   is_active=True)
        self.fields["type"].queryset = AppointmentType.objects.filter(
            clinic=clinic, is_active=True, bookable_online=True)

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day < timezone.localdate():
            raise forms.ValidationError("That date is in the past.")
        if day > timezone.localdate() + timedelta(days=BOOKING_HORIZON_DAYS):
            raise forms.ValidationError(
                f"Online booking opens {BOOKING_HORIZON_DAYS} days ahead at most.")
        return day
