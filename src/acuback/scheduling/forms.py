from __future__ import annotations

from datetime import date, datetime

from django import forms

from acuback.accounts import zones
from acuback.accounts.models import Location, Practitioner
from acuback.digits import AsciiDigitsMixin
from acuback.patients.models import Patient
from acuback.row_ids import row_id
from acuback.web.params import EARLIEST, LATEST, DateField, parse_date

from .models import AppointmentType
from .selectors import cleared_practitioners

NOT_CLEARED = ("Not cleared to needle at this location on this date (no current licence in "
               "its jurisdiction): choose one of the practitioners offered.")


class SlotSearchForm(AsciiDigitsMixin, forms.Form):
    # Chosen by the finder (a search, as-you-type where JavaScript runs), never from a
    # drop-down of every patient of the clinic.
    patient = forms.ModelChoiceField(
        queryset=Patient.objects.none(), widget=forms.HiddenInput,
        error_messages={"required": "Patient: find the patient and choose them first."})
    # Optional: left at "any", the page offers the next free times of every practitioner
    # cleared at the location that day.
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(), required=False,
        empty_label="Any cleared practitioner", error_messages={"invalid_choice": NOT_CLEARED})
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
        locations = Location.objects.filter(clinic=clinic, is_active=True)
        self.fields["location"].queryset = locations
        self.fields["type"].queryset = AppointmentType.objects.filter(clinic=clinic,
                                                                      is_active=True)
        # Only practitioners cleared to needle at the location on the date are offered
        # (and accepted): known before a time is chosen, not refused after.
        location, day = self._location_and_day(locations)
        if location is not None:
            self.fields["practitioner"].queryset = cleared_practitioners(location, day)

    def _location_and_day(self, locations):
        """The location and date the form is for: as asked, else as preset, else the
        clinic's only location and its today (no location known: none)."""
        source = self.data if self.is_bound else self.initial
        location_pk = row_id(source.get("location")) or 0
        location = locations.filter(pk=location_pk).first() if location_pk > 0 else None
        if location is None and not self.is_bound:
            only = list(locations[:2])
            location = only[0] if len(only) == 1 else None
            if location is not None:
                self.initial.setdefault("location", location.pk)
        if location is None:
            return None, None
        day = source.get("day")
        day = day if isinstance(day, date) else parse_date(str(day or ""))
        if day is None:
            day = zones.today_at(location)
            if not self.is_bound:
                self.initial.setdefault("day", day)
        return location, day

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
