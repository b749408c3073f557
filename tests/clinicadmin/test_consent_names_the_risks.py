"""Issue #26 item 9, third pass: the treatment consent names the common and the serious
risks the reference reports (bruising, soreness, fainting, pneumothorax, infection, a
retained needle). A clinic publishing a treatment consent text that leaves one out is
refused, naming what is missing; the demo text names them all."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.consent import TREATMENT_RISKS, missing_risks
from acuback.patients.models import ConsentForm, ConsentKind
from acuback.web.demo import CONSENT_TEXTS

COMPLETE = ("Common effects: bruising, soreness at a needle site, tiredness, fainting. Rare "
            "serious risks: a pneumothorax (collapsed lung), an infection, a needle left "
            "behind (a retained needle).")


def test_the_risks_are_the_ones_the_issue_names_each_with_a_source():
    assert [r.name for r in TREATMENT_RISKS] == ["bruising", "soreness", "fainting",
                                                 "pneumothorax", "infection",
                                                 "a retained needle"]
    assert all(r.sources for r in TREATMENT_RISKS)


@given(st.sampled_from(TREATMENT_RISKS))
def test_leaving_any_risk_out_is_caught(risk):
    text = COMPLETE
    for word in risk.words:
        text = text.replace(word, "")
    assert risk.name in missing_risks(text)
    assert missing_risks(COMPLETE) == []


def test_the_demo_treatment_consent_names_every_risk():
    assert missing_risks(CONSENT_TEXTS[ConsentKind.TREATMENT][1]) == []


@pytest.mark.django_db
def test_publishing_a_treatment_consent_without_the_risks_is_refused_on_the_body(world, login):
    client = login(world.admin)
    data = {"kind": "treatment", "version": "9", "title": "Consent",
            "body": "I agree to acupuncture. Bruising and soreness may occur."}
    response = client.post(reverse("clinic_consent_forms"), data)
    assert response.status_code == 400
    error = response.context["form"].errors["body"][0]
    assert "fainting" in error and "pneumothorax" in error and "a retained needle" in error
    assert not ConsentForm.objects.filter(clinic=world.clinic, version="9").exists()
    assert client.post(reverse("clinic_consent_forms"),
                       {**data, "body": COMPLETE}).status_code == 302
    # Other kinds of consent are not about needling risks.
    assert client.post(reverse("clinic_consent_forms"),
                       {**data, "kind": "research", "body": "De-identified data."}
                       ).status_code == 302
