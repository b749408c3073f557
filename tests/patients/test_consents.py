from __future__ import annotations

import pytest
from django.urls import reverse

from acuback.audit.models import AuditEvent
from acuback.patients.models import Consent
from tests.factories import make_clinic, make_consent_form


@pytest.fixture
def prac(world, login):
    return login(world.practitioner)


def record(client, world, **extra):
    data = {"form": world.consent_form.pk, "signature_name": "Alice Archer", **extra}
    return client.post(reverse("consent_create", args=[world.patient.pk]), data)


def test_a_consent_records_the_hash_of_the_text_shown(world, prac):
    assert record(prac, world).status_code == 302
    consent = Consent.objects.get(patient=world.patient)
    assert consent.text_sha256 == world.consent_form.text_sha256
    assert len(consent.text_sha256) == 64
    assert (consent.kind, consent.version, consent.recorded_by) == (
        "treatment", "1", world.practitioner)
    assert AuditEvent.objects.filter(action="consent.record", patient=world.patient).exists()


def test_a_signature_that_is_not_the_patients_name_is_refused(world, prac):
    response = record(prac, world, signature_name="Someone Else")
    assert response.status_code == 400
    assert "does not match the patient" in response.content.decode()
    assert not Consent.objects.exists()


def test_a_representative_may_sign_in_their_own_name(world, prac):
    assert record(prac, world, signature_name="Parent Archer",
                  signed_by_representative="on").status_code == 302


def test_another_clinics_form_cannot_be_used(world, prac):
    foreign = make_consent_form(make_clinic())
    response = prac.post(reverse("consent_create", args=[world.patient.pk]),
                         {"form": foreign.pk, "signature_name": "Alice Archer"})
    assert response.status_code == 400
    assert not Consent.objects.exists()


def test_withdrawal_keeps_the_record(world, prac):
    record(prac, world)
    consent = Consent.objects.get()
    url = reverse("consent_withdraw", args=[world.patient.pk, consent.pk])
    assert prac.post(url, {"reason": "Changed my mind"}).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert consent.withdrawal_reason == "Changed my mind"
    assert Consent.objects.count() == 1


def test_withdrawing_needs_a_reason(world, prac):
    record(prac, world)
    consent = Consent.objects.get()
    url = reverse("consent_withdraw", args=[world.patient.pk, consent.pk])
    response = prac.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_withdrawing_twice_says_so(world, prac):
    record(prac, world)
    consent = Consent.objects.get()
    url = reverse("consent_withdraw", args=[world.patient.pk, consent.pk])
    prac.post(url, {"reason": "first"})
    response = prac.post(url, {"reason": "second"}, follow=True)
    assert "already been withdrawn" in response.content.decode()
    consent.refresh_from_db()
    assert consent.withdrawal_reason == "first"


def test_a_consent_of_another_patient_cannot_be_withdrawn_through_this_one(world, prac):
    record(prac, world)
    consent = Consent.objects.get()
    url = reverse("consent_withdraw", args=[world.other_patient.pk, consent.pk])
    assert prac.post(url, {"reason": "x"}).status_code == 404


def test_the_chart_passes_the_consents_it_read_to_the_safety_profile(world):
    """The consent list and the safety profile must agree on what is in force, whether the
    profile reads consents itself or is given the list's (withdrawn ones do not count)."""
    from django.utils import timezone

    from acuback.patients.selectors import consent_status, kinds_in_force
    from acuback.screening.selectors import safety_profile
    from tests.factories import make_consent, make_signed_screening

    make_signed_screening(world.patient, world.practitioner)
    today = timezone.localdate()
    for step in ("none", "treatment", "electroacupuncture", "withdrawn"):
        if step in ("treatment", "electroacupuncture"):
            make_consent(world.patient, world.practitioner, kind=step)
        elif step == "withdrawn":
            Consent.objects.filter(kind="treatment").update(withdrawn_at=timezone.now())
        given = safety_profile(patient=world.patient, on=today,
                               consents_in_force=kinds_in_force(consent_status(
                                   patient=world.patient)))
        assert given == safety_profile(patient=world.patient, on=today), step
