"""Forms of the clinic administration pages. Choices of people and rows are always the
clinic's own: a picker never lists another clinic's accounts or rows."""

from __future__ import annotations

import re

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from acuback.accounts.models import (
    STAFF_ROLES,
    SUPERVISING_PROFESSIONS,
    Clinic,
    Location,
    Membership,
    Practitioner,
    Role,
    User,
)
from acuback.billing.models import FeeSchedule, Payer
from acuback.clinical import instruments
from acuback.clinical.consent import missing_risks
from acuback.digits import AsciiDigitsMixin
from acuback.outcomes.models import OutcomeSchedule
from acuback.patients.models import ConsentForm, ConsentKind
from acuback.scheduling.models import AppointmentType, WeeklyAvailability

STAFF_ROLE_CHOICES = [(r.value, r.label) for r in Role if r in STAFF_ROLES]


def staff_of(clinic: Clinic):
    """The clinic's staff accounts (never patients, never another clinic's people)."""
    return User.objects.filter(pk__in=Membership.objects.filter(
        clinic=clinic, role__in=STAFF_ROLES).values("user_id")).order_by("username")


class InviteForm(AsciiDigitsMixin, forms.Form):
    email = forms.EmailField(help_text="The link to choose a password goes here.")
    username = forms.RegexField(regex=r"^[\w.@+-]+\Z", max_length=150,
                                help_text="What they log in with: letters, digits and @.+-_")
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    roles = forms.MultipleChoiceField(choices=STAFF_ROLE_CHOICES,
                                      widget=forms.CheckboxSelectMultiple)


class RolesForm(AsciiDigitsMixin, forms.Form):
    roles = forms.MultipleChoiceField(
        choices=STAFF_ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False,
        help_text="None: the person leaves this clinic's staff (their account stays).")


class DetailsForm(AsciiDigitsMixin, forms.Form):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    mobile_phone = forms.RegexField(
        regex=r"^\+?[0-9 ()-]{6,30}\Z", max_length=30, required=False,
        label="Mobile number", help_text="Where urgent safety alerts go by SMS, e.g. "
                                         "+1 503 555 0100.")


class TemporaryPasswordForm(AsciiDigitsMixin, forms.Form):
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               label="Temporary password",
                               help_text="Tell them by phone or in person; they choose their "
                                         "own at their next log-in.")


class ClinicSettingsForm(AsciiDigitsMixin, forms.ModelForm):
    # Asked, not a tick box: a post without it must not switch a safety rule off.
    pregnancy_blocks_lumbosacral = forms.TypedChoiceField(
        label=Clinic._meta.get_field("pregnancy_blocks_lumbosacral").verbose_name,
        help_text=Clinic._meta.get_field("pregnancy_blocks_lumbosacral").help_text,
        choices=[(True, "Block them (WHO 1999; the default)"),
                 (False, "Allow them after an acknowledgement (clinical lead's decision)")],
        coerce=lambda v: v in (True, "True"), widget=forms.RadioSelect)

    class Meta:
        model = Clinic
        fields = ["name", "phone", "email", "time_zone", "reminder_hours_before",
                  "cancellation_notice_hours", "record_retention_years",
                  "pregnancy_blocks_lumbosacral"]


class LocationForm(AsciiDigitsMixin, forms.ModelForm):
    class Meta:
        model = Location
        fields = ["name", "address_line1", "address_line2", "city", "region", "postal_code",
                  "country", "jurisdiction", "time_zone", "is_active"]

    def clean_jurisdiction(self) -> str:
        return self.cleaned_data["jurisdiction"].strip().upper()


class PractitionerForm(AsciiDigitsMixin, forms.ModelForm):
    class Meta:
        model = Practitioner
        fields = ["display_name", "profession", "npi", "user", "supervisor", "is_active"]

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        taken = Practitioner.objects.filter(user__isnull=False).exclude(pk=self.instance.pk)
        self.fields["user"].queryset = staff_of(clinic).exclude(
            pk__in=taken.values("user_id"))
        self.fields["user"].help_text = "The staff account that logs in as this practitioner."
        if self.instance.user_id:  # fixed once set (accounts.services.FIXED_ONCE_SET)
            self.fields["user"].disabled = True
            self.fields["user"].queryset = User.objects.filter(pk=self.instance.user_id)
            self.fields["user"].help_text = (
                "Who signs as this practitioner; it cannot be changed here. Another person "
                "gets a practitioner record of their own.")
        self.fields["supervisor"].queryset = Practitioner.objects.filter(
            clinic=clinic, profession__in=sorted(SUPERVISING_PROFESSIONS)).exclude(
            pk=self.instance.pk)


class AppointmentTypeForm(AsciiDigitsMixin, forms.ModelForm):
    class Meta:
        model = AppointmentType
        fields = ["name", "kind", "duration_minutes", "buffer_minutes", "bookable_online",
                  "is_active"]


class FeeForm(AsciiDigitsMixin, forms.ModelForm):
    class Meta:
        model = FeeSchedule
        fields = ["code", "amount"]

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        # CPT (five digits, or four and a letter) and HCPCS Level II (a letter and four
        # digits) codes are five letters and digits (AMA CPT; CMS HCPCS).
        if not re.fullmatch(r"[A-Z0-9]{5}", code):
            raise forms.ValidationError("A CPT or HCPCS code: five letters and digits, "
                                        "e.g. 97810.")
        if FeeSchedule.objects.filter(clinic=self.clinic, code=code).exclude(
                pk=self.instance.pk).exists():
            raise forms.ValidationError("This code already has a fee: change that one.")
        return code


class PayerForm(AsciiDigitsMixin, forms.ModelForm):
    class Meta:
        model = Payer
        fields = ["name", "kind", "year_convention", "min_minutes_per_unit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Project rule: a billing unit of 1 to 60 minutes (the timed acupuncture codes
        # are 15-minute units); 99,999,999,999 was accepted.
        field = self.fields["min_minutes_per_unit"]
        field.min_value, field.max_value = 1, 60
        field.validators += [MinValueValidator(1), MaxValueValidator(60)]
        field.widget.attrs.update(min=1, max=60)


class HoursForm(AsciiDigitsMixin, forms.ModelForm):
    """A practitioner's weekly hours at one of the clinic's locations."""

    class Meta:
        model = WeeklyAvailability
        fields = ["practitioner", "location", "weekday", "start_time", "end_time",
                  "valid_from", "valid_to"]
        widgets = {"start_time": forms.TimeInput(attrs={"type": "time"}),
                   "end_time": forms.TimeInput(attrs={"type": "time"}),
                   "valid_from": forms.DateInput(attrs={"type": "date"}),
                   "valid_to": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = Practitioner.objects.filter(clinic=clinic)
        self.fields["location"].queryset = Location.objects.filter(clinic=clinic).select_related(
            "clinic")  # its label names the clinic


INSTRUMENT_CHOICES = sorted((i.id, i.name) for i in instruments.REGISTRY.values())


class QuestionnaireScheduleForm(AsciiDigitsMixin, forms.ModelForm):
    """Which questionnaires are asked when (the outcome schedule's instrument lists)."""

    baseline = forms.MultipleChoiceField(choices=INSTRUMENT_CHOICES,
                                         widget=forms.CheckboxSelectMultiple)
    review = forms.MultipleChoiceField(choices=INSTRUMENT_CHOICES,
                                       widget=forms.CheckboxSelectMultiple)
    discharge = forms.MultipleChoiceField(choices=INSTRUMENT_CHOICES,
                                          widget=forms.CheckboxSelectMultiple)
    follow_up = forms.MultipleChoiceField(choices=INSTRUMENT_CHOICES,
                                          widget=forms.CheckboxSelectMultiple,
                                          label="Follow-up (3 and 6 months)")

    class Meta:
        model = OutcomeSchedule
        fields = ["baseline", "review", "discharge", "follow_up", "review_every_sessions",
                  "review_every_days", "not_improving_after_sessions", "link_valid_days"]


class ConsentFormVersionForm(AsciiDigitsMixin, forms.ModelForm):
    class Meta:
        model = ConsentForm
        fields = ["kind", "version", "title", "body"]
        help_texts = {"version": "e.g. 2026-2: a new text is always a new version.",
                      "body": "The exact text the patient reads and signs. A treatment "
                              "consent names the risks: bruising, soreness, fainting, "
                              "pneumothorax, infection and a retained needle."}

    def clean(self):
        cleaned = super().clean()
        missing = missing_risks(cleaned.get("body") or "")
        if cleaned.get("kind") == ConsentKind.TREATMENT and cleaned.get("body") and missing:
            self.add_error("body", "A treatment consent names the common and serious risks; "
                           f"this text does not name: {', '.join(missing)}.")
        return cleaned


class AuditFilterForm(AsciiDigitsMixin, forms.Form):
    action = forms.CharField(required=False, max_length=60,
                             help_text="e.g. page.view, or the start of one: staff.")
    actor = forms.ModelChoiceField(queryset=User.objects.none(), required=False,
                                   label="Who")
    patient = forms.CharField(required=False, max_length=40, label="Patient MRN")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            label="From")
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            label="To")
    break_glass = forms.BooleanField(required=False, label="Break the glass only")
    refused = forms.BooleanField(required=False, label="Refused requests only",
                                 help_text="403, 404, forged forms and bad links aimed at "
                                           "this clinic, by anyone.")

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = staff_of(clinic)

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return cleaned


class NcdListForm(AsciiDigitsMixin, forms.Form):
    """The CMS NCD 30.3.3 diagnosis list, as CMS publishes it (billing.ncd_list)."""

    file = forms.FileField(label="The CMS file (Excel, CSV or text)",
                           help_text="The NCD 30.3.3 ICD-10-CM list from CMS's coding "
                                     "spreadsheet, as downloaded.")
    source_address = forms.URLField(label="Downloaded from (address)", max_length=200,
                                    assume_scheme="https")
    published = forms.DateField(label="Published by CMS on",
                                widget=forms.DateInput(attrs={"type": "date"}))
    leave_out_refused = forms.BooleanField(
        required=False, label="Load the codes that can be billed, leaving out those listed "
                              "as not billable under this release")
