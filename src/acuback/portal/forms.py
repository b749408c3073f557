from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from acuback.accounts import zones
from acuback.accounts.models import Location
from acuback.digits import AsciiDigitsMixin
from acuback.scheduling.models import AppointmentKind, AppointmentType

BOOKING_HORIZON_DAYS = 120


class MagicLinkForm(AsciiDigitsMixin, forms.Form):
    email = forms.EmailField(label="Your e-mail address")


class BookingSearchForm(AsciiDigitsMixin, forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    type = forms.ModelChoiceField(queryset=AppointmentType.objects.none(),
                                  label="Appointment type")
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, clinic, new_patient: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["location"].queryset = Location.objects.filter(clinic=clinic,
                                                                   is_active=True)
        # Someone new books a first visit (an initial assessment); a patient of the
        # clinic books the others (issue #28 §7).
        types = AppointmentType.objects.filter(clinic=clinic, is_active=True,
                                               bookable_online=True)
        self.fields["type"].queryset = types.filter(kind=AppointmentKind.INITIAL) \
            if new_patient else types.exclude(kind=AppointmentKind.INITIAL)

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("day")
        if day is not None:
            # Today where the visit happens: a visitor has no zone, the server's may be a
            # day ahead of the clinic's evening.
            today = zones.today_at(cleaned.get("location") or self.clinic)
            if day < today:
                self.add_error("day", "That date is in the past.")
            elif day > today + timedelta(days=BOOKING_HORIZON_DAYS):
                self.add_error("day", f"Online booking opens {BOOKING_HORIZON_DAYS} days "
                                      "ahead at most.")
        return cleaned


class NewPatientForm(AsciiDigitsMixin, forms.Form):
    given_name = forms.CharField(max_length=100, label="First name")
    family_name = forms.CharField(max_length=100, label="Last name")
    date_of_birth = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.EmailField(help_text="We send the confirmation and your forms here.")
    phone = forms.CharField(max_length=30, required=False)
    onset_date = forms.DateField(label="When did this back pain start? (roughly)",
                                 widget=forms.DateInput(attrs={"type": "date"}))

    def clean_date_of_birth(self):
        dob = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if dob > today:
            raise forms.ValidationError("Date of birth cannot be in the future.")
        if dob.year < today.year - 125:
            raise forms.ValidationError("Check the year of birth.")
        return dob

    def clean_phone(self):
        from acuback.patients.forms import validate_phone

        value = self.cleaned_data.get("phone", "").strip()
        validate_phone(value, "a phone number")
        return value

    def clean(self):
        cleaned = super().clean()
        onset, dob = cleaned.get("onset_date"), cleaned.get("date_of_birth")
        if onset and onset > timezone.localdate():
            self.add_error("onset_date", "This date is in the future.")
        elif onset and dob and onset < dob:
            self.add_error("onset_date", "This date is before your date of birth.")
        return cleaned
