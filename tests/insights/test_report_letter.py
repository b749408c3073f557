"""The progress report is a letter (issue #28 §8): a recipient block with the addressee
chosen when it is made, and the practitioner's signature block with credentials from
the practitioner record."""

from __future__ import annotations

from django.urls import reverse

from acuback.accounts.models import Credential
from tests.insights.test_reports import pdf_text, reported  # noqa: F401


def test_the_report_pdf_has_the_addressee_and_the_signature_with_credentials(reported,  # noqa: F811
                                                                             login):
    Credential.objects.filter(practitioner=reported.practitioner_record).update(title="L.Ac.")
    client = login(reported.practitioner)
    url = reverse("episode_report", args=[reported.patient.pk, reported.episode.pk,
                                          "progress"])
    page = client.get(url).content.decode()
    assert 'name="to_name"' in page  # the addressee is chosen on the page
    text, _ = pdf_text(client.get(url, {
        "format": "pdf", "to_name": "Dr Jane Roe", "to_organisation": "Lakeside Family Practice",
        "to_address": "12 Lake Road\nSpringfield, IL 62701"}))
    text = " ".join(text.split())
    assert "To: Dr Jane Roe Lakeside Family Practice 12 Lake Road Springfield, IL 62701" in text
    name = reported.practitioner_record.display_name
    assert f"{name}, L.Ac." in text and "Licensed acupuncturist" in text
    assert "Licence US-IL no. L-1 (Board)" in text and "Signed:" in text


def test_an_addressee_too_long_is_refused_naming_the_field(reported, login):  # noqa: F811
    client = login(reported.practitioner)
    url = reverse("episode_report", args=[reported.patient.pk, reported.episode.pk,
                                          "progress"])
    response = client.get(url, {"format": "pdf", "to_name": "x" * 500})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Addressee" in page and "at most 120 characters" in page
