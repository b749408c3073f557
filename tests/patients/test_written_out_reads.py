"""Reads written out in SQL for the session's safety gate, against the ORM's rule."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from acuback import signing
from acuback.accounts.models import Credential
from acuback.clinical import credentials as credential_rules
from acuback.patients.models import Consent, ConsentKind
from tests.factories import make_consent, make_patient, make_practitioner


def test_kinds_in_force_are_the_kinds_of_the_consents_in_force(world):
    patient = world.patient
    assert Consent.objects.kinds_in_force(patient.pk) == set()
    make_consent(patient, world.practitioner, ConsentKind.TREATMENT)
    withdrawn = make_consent(patient, world.practitioner, ConsentKind.ELECTROACUPUNCTURE)
    Consent.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())
    expected = set(patient.consents.in_force().values_list("kind", flat=True))
    assert Consent.objects.kinds_in_force(patient.pk) == expected == {ConsentKind.TREATMENT}
    assert Consent.objects.kinds_in_force(make_patient(world.clinic).pk) == set()


def test_credential_facts_are_the_credentials_rows(world):
    practitioner = make_practitioner(world.clinic, licence_in=None)
    assert practitioner.credential_facts() == []
    Credential.objects.create(practitioner=practitioner, kind="licence", issuer="Board",
                              jurisdiction="US-IL", status="active",
                              issued_on=date(2020, 1, 1), expires_on=date(2027, 1, 31))
    Credential.objects.create(practitioner=practitioner, kind="certification", issuer="NCCAOM",
                              jurisdiction="US", status="lapsed")
    expected = sorted((credential_rules.CredentialFacts(*row) for row in
                      practitioner.credentials.values_list(*credential_rules.FACT_FIELDS)),
                      key=lambda f: f.kind)
    facts = practitioner.credential_facts()
    assert sorted(facts, key=lambda f: f.kind) == expected
    assert isinstance(facts[0].issued_on, date)  # dates, not text, on both databases
    assert len(facts) == 2  # not the other practitioners' (the world has some)


def test_consent_status_shows_the_latest_consent_in_force_of_each_kind(world):
    from datetime import timedelta

    from acuback.patients.selectors import consent_status

    patient = world.patient
    old = make_consent(patient, world.practitioner, ConsentKind.TREATMENT)
    new = make_consent(patient, world.practitioner, ConsentKind.TREATMENT)
    with signing.signing():  # arranging data signed earlier
        Consent.objects.filter(pk=old.pk).update(signed_at=timezone.now() - timedelta(days=30))
    newest_withdrawn = make_consent(patient, world.practitioner, ConsentKind.TREATMENT)
    Consent.objects.filter(pk=newest_withdrawn.pk).update(withdrawn_at=timezone.now())
    status = {c.kind: c.consent for c in consent_status(patient=patient)}
    assert status[ConsentKind.TREATMENT].pk == new.pk
    assert status[ConsentKind.TREATMENT].signed_at is not None
    assert status[ConsentKind.ELECTROACUPUNCTURE] is None
    assert set(status) == set(ConsentKind.values)


def test_who_may_treat_lists_only_the_clinics_active_locations(world):
    from acuback.accounts.models import Location
    from acuback.patients.selectors import who_may_treat
    from tests.factories import make_location

    closed = make_location(world.clinic)
    Location.objects.filter(pk=closed.pk).update(is_active=False)
    listed = [c.location.pk for c in who_may_treat(patient=world.patient,
                                                   on=timezone.localdate())]
    expected = list(Location.objects.filter(clinic=world.clinic, is_active=True)
                    .order_by("name", "pk").values_list("pk", flat=True))
    assert listed == expected and closed.pk not in listed and world.location.pk in listed
