"""The fee schedule form: one amount per code the clinic can bill."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from acuback.clinical import cpt
from acuback.digits import AsciiDigitsMixin

from .models import AbnOption, AbnSignedHow, ClaimSetup, CoveragePlan, Payer, PaymentMethod


class FeeScheduleForm(AsciiDigitsMixin, forms.Form):
    def __init__(self, *args, fees: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for code, descriptor in cpt.BILLABLE_CODES.items():
            self.fields[code] = forms.DecimalField(
                label=f"{code} — {descriptor}", required=False, min_value=0, max_digits=8,
                decimal_places=2, initial=fees.get(code),
                help_text="Blank: no fee (superbills name the missing fee).")

    def amounts(self) -> dict:
        return {code: self.cleaned_data.get(code) for code in cpt.BILLABLE_CODES}


class InvoiceIssueForm(AsciiDigitsMixin, forms.Form):
    date_of_service = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    discount = forms.DecimalField(required=False, min_value=0, max_digits=8, decimal_places=2,
                                  help_text="An amount off what the patient owes.")
    discount_reason = forms.CharField(required=False, max_length=150)
    use_package = forms.BooleanField(required=False, initial=True,
                                     label="Draw from a prepaid package if one has visits left")


class InvoiceVoidForm(AsciiDigitsMixin, forms.Form):
    reason = forms.CharField(max_length=300)


class PaymentForm(AsciiDigitsMixin, forms.Form):
    amount = forms.DecimalField(max_digits=8, decimal_places=2,
                                help_text="A refund is a negative amount, with its reason.")
    method = forms.ChoiceField(choices=PaymentMethod.choices)
    external_reference = forms.CharField(required=False, max_length=60,
                                         help_text="The terminal's or bank's reference; "
                                         "never a card number.")
    reason = forms.CharField(required=False, max_length=300)
    invoice = forms.TypedChoiceField(required=False, coerce=int, empty_value=None,
                                     label="For invoice")

    def __init__(self, *args, invoices=(), **kwargs):
        """`invoices`: the patient's, with their payments (billing.ledger): the live ones,
        and a void one that still holds money to refund."""
        super().__init__(*args, **kwargs)
        self.fields["invoice"].choices = [("", "None: on account")] + [
            (i.pk, f"{i.number}{f' · visit {i.date_of_service:%Y-%m-%d}' if i.date_of_service else ''}"
                   f" · {i.total}, paid {i.paid}, to pay {i.outstanding} ({i.status})")
            for i in invoices if i.status != "void" or i.paid > 0]


class PackageForm(AsciiDigitsMixin, forms.Form):
    visits = forms.IntegerField(min_value=1, max_value=100)
    price = forms.DecimalField(min_value=0, max_digits=8, decimal_places=2)


class AbnForm(AsciiDigitsMixin, forms.Form):
    visit_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    option = forms.TypedChoiceField(choices=AbnOption.choices, coerce=int,
                                    widget=forms.RadioSelect)
    how = forms.ChoiceField(choices=AbnSignedHow.choices, widget=forms.RadioSelect)
    signature_name = forms.CharField(required=False, max_length=200,
                                     label="Signed by (typed name)")
    signed_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}),
                                label="Date signed")
    scan = forms.FileField(required=False, help_text="The signed paper notice (PDF, PNG or "
                           "JPEG, 10 MB at most).")


class CoveragePlanForm(AsciiDigitsMixin, forms.ModelForm):
    """The patient's insurance: payer, member ID, group number and the subscriber (the
    patient, or the person whose insurance covers them). The model's clean() names each
    missing field."""

    class Meta:
        model = CoveragePlan
        fields = ["payer", "plan_name", "member_id", "group_number", "priority",
                  "effective_from", "effective_to", "copay", "subscriber_relationship",
                  "subscriber_given_name", "subscriber_family_name",
                  "subscriber_date_of_birth"]
        widgets = {name: forms.DateInput(attrs={"type": "date"}) for name in
                   ("effective_from", "effective_to", "subscriber_date_of_birth")}

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.patient = patient
        self.fields["payer"].queryset = Payer.objects.filter(clinic_id=patient.clinic_id)

    def clean(self):
        data = super().clean()
        payer = data.get("payer")
        # A plan that bills a payer needs the card's member ID (the claim's subscriber ID).
        if payer is not None and payer.kind != "self_pay" and not data.get("member_id"):
            self.add_error("member_id", "Enter the member ID from the insurance card.")
        return data


class ClaimSetupForm(AsciiDigitsMixin, forms.ModelForm):
    """The clinic's sender details, and each payer's electronic ID at the clearing house."""

    class Meta:
        model = ClaimSetup
        fields = ["group_npi", "tax_id", "address_line1", "city", "state", "postal_code",
                  "submitter_id", "contact_phone", "receiver_name", "receiver_id",
                  "production"]

    def __init__(self, *args, payers, **kwargs):
        super().__init__(*args, **kwargs)
        self.payers = [p for p in payers if p.kind != "self_pay"]
        for payer in self.payers:
            self.fields[f"payer_{payer.pk}"] = forms.CharField(
                label=f"Electronic payer ID of {payer.name}", required=False, max_length=80,
                initial=payer.electronic_payer_id,
                validators=[RegexValidator(r"^[A-Za-z0-9]*$", "Letters and digits only.")])

    def payer_ids(self) -> dict[int, str]:
        return {p.pk: self.cleaned_data[f"payer_{p.pk}"].strip() for p in self.payers}


class RemittanceUploadForm(AsciiDigitsMixin, forms.Form):
    file = forms.FileField(label="835 file", help_text="The remittance file from the payer "
                           "or the clearing house (X12 835, 005010X221A1).")
