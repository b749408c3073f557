"""The addressee of a progress report, chosen when the letter is made (issue #28 §8)."""

from __future__ import annotations

from django import forms

from acuback.digits import AsciiDigitsMixin


class RecipientForm(AsciiDigitsMixin, forms.Form):
    to_name = forms.CharField(label="Addressee", max_length=120, required=False,
                              help_text="e.g. Dr Jane Roe, the referring physician.")
    to_organisation = forms.CharField(label="Practice or payer", max_length=160,
                                      required=False)
    to_address = forms.CharField(label="Address", max_length=400, required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
