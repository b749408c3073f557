"""Signatures are written by the signing services only, and tokens keep their limits in
the model, whichever door writes them (issue #25 §1: a draft set to "signed" in the Django
admin, in another practitioner's name; a revoked token brought back until 2099)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from acuback import signing, sql
from acuback.interop.models import ApiToken
from acuback.patients.models import Consent
from acuback.screening.models import Screening
from acuback.signing import SignatureWriteRefused
from acuback.treatment.models import Addendum, Session
from tests.factories import make_practitioner, make_session, make_user


@pytest.fixture
def draft(world):
    return make_session(world.patient, world.practitioner_record, world.location)


@pytest.fixture
def colleague(world):
    return make_practitioner(world.clinic, make_user(world.clinic, "practitioner", "colleague"))


def test_a_draft_is_not_signed_by_saving_it(draft, colleague):
    draft.status, draft.signed_by, draft.signed_at = "signed", colleague.user, timezone.now()
    with pytest.raises(SignatureWriteRefused, match="status"):
        draft.save()
    assert Session.objects.get(pk=draft.pk).status == "draft"


def test_a_signer_is_not_named_on_a_draft_by_saving_it(draft, colleague):
    draft.signed_by = colleague.user
    with pytest.raises(SignatureWriteRefused, match="signed_by"):
        draft.save()


@pytest.mark.parametrize("write", [
    lambda pk, user: Session.objects.filter(pk=pk).update(status="signed"),
    lambda pk, user: Session.objects.filter(pk=pk).update(signed_by=user),
    lambda pk, user: Session.objects.filter(pk=pk).update(signed_by_id=user.pk),
    lambda pk, user: sql.update(Session, {"id": pk}, {"status": "signed"}),
    lambda pk, user: sql.update(Session, {"id": pk}, {"signed_at": timezone.now()}),
], ids=["update-status", "update-signer", "update-signer-id", "sql-status", "sql-signed-at"])
def test_no_bulk_write_signs_a_draft(draft, colleague, write):
    with pytest.raises(SignatureWriteRefused):
        write(draft.pk, colleague.user)
    assert Session.objects.get(pk=draft.pk).signed_by_id is None


def test_a_session_is_not_created_signed(world, colleague):
    with pytest.raises(SignatureWriteRefused):
        make_session(world.patient, world.practitioner_record, world.location, status="signed",
                     signed_by=colleague.user, signed_at=timezone.now())


def test_a_drafts_other_fields_still_save(draft):
    draft.subjective = "Better since last week."
    draft.save()
    fresh = Session.objects.get(pk=draft.pk)
    fresh.objective = "Flexion to knees."
    fresh.save()
    assert Session.objects.get(pk=draft.pk).objective == "Flexion to knees."


def test_a_deferred_load_then_save_is_not_mistaken_for_a_signature(draft):
    partial = Session.objects.only("pk", "subjective").get(pk=draft.pk)
    partial.subjective = "Changed"
    partial.save()
    assert partial.status == "draft"  # loads the deferred field; nothing refused
    partial.save()


def test_a_screening_is_not_signed_outside_its_service(world):
    from acuback.screening import services
    from tests.factories import make_episode, request_for

    screening = services.screening_start(episode=make_episode(world.patient, world.practitioner),
                                         kind="intake", request=request_for(world.practitioner))
    with pytest.raises(SignatureWriteRefused):
        Screening.objects.filter(pk=screening.pk).update(status="signed",
                                                        signed_by=world.practitioner)
    screening.status = "signed"
    with pytest.raises(SignatureWriteRefused):
        screening.save()


def test_a_consent_signature_is_recorded_by_its_service_only(world):
    fields = {"patient": world.patient, "form": world.consent_form, "kind": "treatment", "version": "1",
                  "text_sha256": world.consent_form.text_sha256, "signature_name": "Alice Archer",
                  "signed_at": timezone.now(), "recorded_by": world.practitioner}
    with pytest.raises(SignatureWriteRefused):
        Consent.objects.create(**fields)
    with pytest.raises(SignatureWriteRefused):
        Consent.objects.bulk_create([Consent(**fields)])
    with signing.signing():
        consent = Consent.objects.create(**fields)
    consent.signature_name = "Someone Else"
    with pytest.raises(SignatureWriteRefused):
        consent.save()
    consent.refresh_from_db()
    consent.withdrawn_at, consent.withdrawal_reason = timezone.now(), "Changed my mind"
    consent.save()  # withdrawal is recorded on the row


def test_an_addendum_is_written_by_its_service_only(world_with_consent):
    with pytest.raises(SignatureWriteRefused):
        Addendum.objects.create(session=world_with_consent.session, text="Forged",
                                author=world_with_consent.practitioner)


def test_the_signing_services_still_sign(world):
    from tests.factories import make_signed_screening

    screening = make_signed_screening(world.patient, world.practitioner)
    assert screening.is_signed and screening.signed_by == world.practitioner


# --- API tokens --------------------------------------------------------------------


@pytest.fixture
def token(world):
    return ApiToken.objects.create(
        clinic=world.clinic, user=world.admin, name="feed", digest="1" * 64, prefix="acb_y",
        scopes=["user/*.read"], created_by=world.admin,
        expires_at=timezone.now() + timedelta(days=30))


def test_a_revoked_token_stays_revoked(token):
    token.revoked_at = timezone.now()
    token.save()
    token.revoked_at, token.expires_at = None, timezone.now() + timedelta(days=30)
    with pytest.raises(ValidationError, match="revoked"):
        token.save()
    with pytest.raises(ValidationError):
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=None)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_a_token_lasts_no_longer_than_the_cap(token, world):
    token.expires_at = timezone.now().replace(year=2099)
    with pytest.raises(ValidationError, match="365"):
        token.save()
    with pytest.raises(ValidationError):
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now().replace(year=2099))
    with pytest.raises(ValidationError):
        ApiToken.objects.create(clinic=world.clinic, user=world.admin, name="long",
                                digest="2" * 64, prefix="acb_z", scopes=["user/*.read"],
                                created_by=world.admin, expires_at=timezone.now() + timedelta(days=400))


def test_a_token_keeps_its_user_and_scopes(token, world):
    token.scopes = ["user/*.read", "system/*.read"]
    with pytest.raises(ValidationError, match="scopes"):
        token.save()
    token.refresh_from_db()
    token.user = world.practitioner
    with pytest.raises(ValidationError, match="user"):
        token.save()


def test_an_operator_cannot_bring_a_revoked_token_back_through_the_admin(token, login,
                                                                        operator):
    from django.urls import reverse

    token.revoked_at = timezone.now()
    token.save()
    url = reverse("admin:interop_apitoken_change", args=[token.pk])
    response = login(operator).post(url, {
        "clinic": token.clinic_id, "user": token.user_id, "name": token.name,
        "scopes": '["user/*.read"]', "expires_at_0": "2099-01-01", "expires_at_1": "00:00:00",
        "revoked_at_0": "", "revoked_at_1": ""})
    assert response.status_code == 200  # the form again, with the reasons
    token.refresh_from_db()
    assert token.revoked_at is not None and token.expires_at.year != 2099
