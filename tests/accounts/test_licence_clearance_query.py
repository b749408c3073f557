"""Licence clearance in SQL (``Credential.objects.valid_for_needling``) is the pure rule
(``clinical.credentials.is_valid_for_needling``), for any credential, place and date."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuback.accounts.models import Credential, CredentialKind, CredentialStatus
from acuback.clinical.credentials import is_valid_for_needling

DAY = date(2026, 6, 1)
OFFSETS = st.one_of(st.none(), st.integers(-3, 3))
JURISDICTIONS = st.sampled_from(["US-IL", "us-il", " US-IL ", "US-WA", "GB"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(CredentialKind.values), status=st.sampled_from(CredentialStatus.values),
       stored=JURISDICTIONS, asked=JURISDICTIONS, issued=OFFSETS, lasts=OFFSETS,
       on=st.integers(-4, 4))
def test_the_query_clears_exactly_the_licences_the_rule_clears(world, kind, status, stored, asked,
                                                                issued, lasts, on):
    issued_on = None if issued is None else DAY + timedelta(days=issued)
    expires_on = None if lasts is None else (issued_on or DAY) + timedelta(days=abs(lasts))
    day = DAY + timedelta(days=on)
    with transaction.atomic():
        credential = Credential.objects.create(
            practitioner=world.practitioner_record, kind=kind, status=status, issuer="Board",
            jurisdiction=stored, issued_on=issued_on, expires_on=expires_on)
        by_query = Credential.objects.filter(pk=credential.pk).valid_for_needling(
            jurisdiction=asked, on=day).exists()
        assert by_query == is_valid_for_needling(credential.facts(), asked, day)
        transaction.set_rollback(True)


def test_the_query_takes_the_place_and_date_from_an_outer_query(world):
    """As the claims ledger asks it: per signed session, the session's location and date."""
    from acuback.treatment.models import Session
    from tests.factories import make_practitioner, make_session, make_user

    practitioner = make_practitioner(world.clinic, make_user(world.clinic, "practitioner"),
                                     licence_in=None)
    Credential.objects.create(practitioner=practitioner, kind="licence",
                              status="active", issuer="Board",
                              jurisdiction=world.location.jurisdiction.lower(),
                              expires_on=date(2026, 6, 30))
    before = make_session(world.patient, practitioner, world.location)
    after = make_session(world.patient, practitioner, world.location)
    # drafts, dated on the licence's last day and the day after
    Session.objects.filter(pk=before.pk).update(session_date=date(2026, 6, 30))
    Session.objects.filter(pk=after.pk).update(session_date=date(2026, 7, 1))
    licensed = Credential.objects.filter(practitioner=OuterRef("practitioner")) \
        .valid_for_needling(jurisdiction=OuterRef("location__jurisdiction"),
                            on=OuterRef("session_date"))
    cleared = set(Session.objects.filter(pk__in=[before.pk, after.pk])
                  .filter(Exists(licensed)).values_list("pk", flat=True))
    assert cleared == {before.pk}


def test_the_claims_ledger_counts_a_session_as_licensed_by_the_rule(world):
    """The ledger asked its own query: a licence stored as "us-il " cleared the practitioner
    everywhere else (the rule compares jurisdictions normalised) but not in the ledger."""
    from django.utils import timezone

    from acuback import signing
    from acuback.insights.ledger import session_facts
    from acuback.insights.selectors import clinic_episodes
    from acuback.treatment.models import Session
    from tests.factories import make_practitioner, make_session, make_user

    practitioner = make_practitioner(world.clinic, make_user(world.clinic, "practitioner"),
                                     licence_in=None)
    Credential.objects.create(practitioner=practitioner, kind="licence", status="active",
                              issuer="Board", jurisdiction=world.location.jurisdiction.lower())
    assert practitioner.clearance_at(world.location, timezone.localdate()).cleared
    session = make_session(world.patient, practitioner, world.location)
    with signing.signing():  # arranging data signed earlier
        Session.objects.filter(pk=session.pk).update(status="signed", signed_at=timezone.now())
    facts = session_facts(clinic_episodes(clinic_ids=[world.clinic.pk]))
    assert (facts["total"], facts["licensed"]) == (1, 1)
