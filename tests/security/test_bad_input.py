"""Hostile input is stored verbatim and shown escaped; forged, replayed and guessed
requests are refused and audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from acuback.audit.models import AuditEvent
from acuback.patients.models import EpisodeOfCare, Patient

HOSTILE = ["<script>alert('x')</script>", "Robert'); DROP TABLE patients_patient;--",
           "\" onmouseover=\"alert(1)", "' OR '1'='1", "{{ 7*7 }} ${7*7}", "Zoë Ærø 測試"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_names_are_stored_verbatim_and_rendered_escaped(world, login, text):
    client = login(world.front_desk)
    response = client.post(reverse("patient_create"), {
        "given_name": text[:100], "family_name": "Hostile", "date_of_birth": "1980-01-01",
        "preferred_language": "English"})
    assert response.status_code == 302, response.content[:500]
    patient = Patient.objects.get(family_name="Hostile")
    assert patient.given_name == text[:100]  # verbatim, nothing stripped or executed
    page = client.get(reverse("patient_chart", args=[patient.pk])).content.decode()
    if any(c in text for c in "<>\"'"):
        assert text not in page  # HTML-special characters arrive escaped
    else:
        assert text in page  # template-like text is shown as typed, not evaluated
    if "<script>" in text:
        assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert Patient.objects.count() >= 3  # the SQL-like text dropped nothing


def test_hostile_clinical_free_text_is_escaped(world, login):
    from tests.factories import make_episode

    episode = make_episode(world.patient, world.practitioner,
                           goals="<img src=x onerror=alert(1)> walk the dog")
    page = login(world.practitioner).get(
        reverse("patient_clinical", args=[world.patient.pk])).content.decode()
    assert "<img src=x" not in page
    assert EpisodeOfCare.objects.get(pk=episode.pk).goals.startswith("<img src=x")


def test_oversized_input_is_refused_with_the_field_named(world, login):
    response = login(world.front_desk).post(reverse("patient_create"), {
        "given_name": "A" * 10_000, "family_name": "B" * 10_000,
        "date_of_birth": "1980-01-01"})
    assert response.status_code in (200, 400)
    errors = response.context["form"].errors
    assert "given_name" in errors and "at most 100 characters" in errors["given_name"][0]
    assert not Patient.objects.filter(family_name__startswith="BBBB").exists()


def test_a_forged_csrf_token_is_refused_and_audited(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.front_desk)
    client.get(reverse("patient_create"))
    response = client.post(reverse("patient_create"), {
        "csrfmiddlewaretoken": "forged" * 8, "given_name": "X", "family_name": "Y",
        "date_of_birth": "1980-01-01"})
    assert response.status_code == 403 and b"security token" in response.content
    event = AuditEvent.objects.get(action="security.csrf_failure")
    assert event.actor == world.front_desk and event.detail["path"] == reverse("patient_create")
    assert not Patient.objects.filter(family_name="Y").exists()


def test_a_replayed_magic_link_is_refused_and_audited(world, client):
    from acuback.portal import services

    token = services.magic_link_token(world.patient_user)
    url = reverse("portal_magic", args=[token])
    assert client.get(url).status_code == 302  # first use logs in
    client.logout()
    response = client.get(url)
    assert response.status_code == 400 and b"already been used" in response.content
    assert AuditEvent.objects.filter(action="security.magic_link_refused").count() == 1


def test_a_guessed_object_id_is_refused_and_audited(world, login):
    client = login(world.outsider)  # staff of the other clinic
    response = client.get(reverse("patient_chart", args=[world.patient.pk]))
    assert response.status_code == 404
    # In the targeted clinic's log (and, as an unknown id, in the attacker's own).
    event = AuditEvent.objects.get(action="security.not_found", clinic=world.clinic)
    assert event.actor == world.outsider
    assert event.detail["path"] == reverse("patient_chart", args=[world.patient.pk])
    login(world.front_desk).get(reverse("patient_clinical", args=[world.patient.pk]))
    assert AuditEvent.objects.filter(action="security.forbidden",
                                     actor=world.front_desk).exists()
