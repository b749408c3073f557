"""The fee schedule form: one amount per code the clinic can bill."""

from __future__ import annotations

from django import forms

from acuback.clinical import cpt
from acuback.digits import AsciiDigitsMixin


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
