"""The questionnaire form, built from the instrument's items and the wording in use."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from acuback.clinical.instruments import Instrument
from acuback.digits import AsciiDigitsMixin

from .models import Channel, TimePoint


class ResponseForm(AsciiDigitsMixin, forms.Form):
    def __init__(self, *args, instrument: Instrument, texts: dict[int, str],
                 option_labels: dict[int, dict] | None = None, stored: dict | None = None,
                 labels: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        option_labels = option_labels or {}
        for item in instrument.items:
            name = f"item_{item.number}"
            text = texts.get(item.number, item.topic)
            if instrument.id == "psfs":
                self.fields[f"label_{item.number}"] = forms.CharField(
                    label=f"Activity {item.number}", required=False, max_length=120)
            if instrument.id == "rmdq":
                self.fields[name] = forms.BooleanField(label=text, required=False)
            elif item.options:
                custom = option_labels.get(item.number, {})
                self.fields[name] = forms.ChoiceField(
                    label=text, required=False, widget=forms.RadioSelect,
                    choices=[(_key(o.value), custom.get(_key(o.value), o.label))
                             for o in item.options])
            else:
                self.fields[name] = forms.DecimalField(
                    label=text, required=False, min_value=Decimal(str(item.minimum)),
                    max_value=Decimal(str(item.maximum)), decimal_places=1)
        if stored and not self.is_bound:
            for key, value in stored.items():
                name = f"item_{key}"
                if name in self.fields:
                    self.initial[name] = bool(value) if instrument.id == "rmdq" else _key(value)
            for key, value in (labels or {}).items():
                self.initial[f"label_{key}"] = value

    def item_fields(self):
        return [self[f"item_{i.number}"] for i in self.instrument.items]

    def rows(self):
        """(label field or None, answer field) per item, for the template."""
        return [(self[f"label_{i.number}"] if f"label_{i.number}" in self.fields else None,
                 self[f"item_{i.number}"]) for i in self.instrument.items]

    def answers(self) -> dict[int, float]:
        result: dict[int, float] = {}
        for item in self.instrument.items:
            value = self.cleaned_data.get(f"item_{item.number}")
            if self.instrument.id == "rmdq":
                if value:
                    result[item.number] = 1
            elif value not in (None, ""):
                result[item.number] = float(value)
        return result

    def labels(self) -> dict[str, str]:
        return {str(i.number): self.cleaned_data.get(f"label_{i.number}", "")
                for i in self.instrument.items if self.cleaned_data.get(f"label_{i.number}")}

    def clean(self):
        cleaned = super().clean()
        if self.instrument.id == "psfs":
            for item in self.instrument.items:
                rated = cleaned.get(f"item_{item.number}") is not None
                named = bool(cleaned.get(f"label_{item.number}"))
                if rated and not named:
                    self.add_error(f"label_{item.number}", "Name the activity you rated.")
        return cleaned


def _key(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class LinkForm(AsciiDigitsMixin, forms.Form):
    """Which questionnaires, and how the link reaches the patient: only to the e-mail
    address on their record, or handed over in person by someone who may see the
    clinical record (they are recorded as handing it over). No address is typed in."""

    instruments = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, choices=())
    time_point = forms.ChoiceField(choices=TimePoint.choices)
    delivery = forms.ChoiceField(label="How the patient gets it", widget=forms.RadioSelect,
                                 choices=())

    def __init__(self, *args, choices, patient, in_person: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["instruments"].choices = choices
        email = (Channel.EMAIL, f"E-mail it to the address on the record ({patient.email})"
                 if patient.email else "E-mail it to the address on the record (none yet)")
        self.fields["delivery"].choices = [email] + (
            [(Channel.IN_PERSON, "Hand it over in person now (you are recorded as handing "
                                 "it over)")] if in_person else [])
        self.initial.setdefault("delivery", Channel.EMAIL if patient.email or not in_person
                                else Channel.IN_PERSON)

    def clean_delivery(self):
        delivery = self.cleaned_data["delivery"]
        if delivery == Channel.EMAIL and not self.patient.email:
            raise forms.ValidationError(
                f"There is no e-mail address on {self.patient.given_name}'s record: add it "
                "under Edit details, or hand the link over in person.")
        return delivery


class CorrectionForm(AsciiDigitsMixin, forms.Form):
    correction_reason = forms.CharField(label="Why this correction", max_length=300)


class AlertForm(AsciiDigitsMixin, forms.Form):
    note = forms.CharField(label="Follow-up (who spoke to the patient, and the plan)",
                           widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
