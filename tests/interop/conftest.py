"""A clinical record with one of everything, and API tokens for it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from acuback.interop.models import ApiToken, Scope, token_digest
from acuback.outcomes import services as outcomes
from tests.factories import (
    make_adverse_event,
    make_appointment,
    make_consent,
    make_episode,
    make_session,
    request_for,
)


@pytest.fixture
def record(world):
    """Alice in clinic A: an episode with codes, a signed session with needling and CPT
    codes, ODI and NRS scores, an adverse event, a consent, an appointment, coverage."""
    from acuback.billing.models import CoveragePlan, Payer
    from acuback.treatment.models import Insertion, Session

    w = world
    w.episode = make_episode(w.patient, w.practitioner, diagnosis_codes=["M54.50", "M54.16"],
                             pain_regions=["lumbar_left"])
    w.session = make_session(w.patient, w.practitioner_record, w.location, episode=w.episode,
                             needles_inserted=2, needles_removed=2, electroacupuncture=True)
    for code, side in (("BL23", "bilateral"), ("GV4", "midline")):
        Insertion.objects.create(session=w.session, point_code=code, side=side,
                                 depth_mm=Decimal("25.0"), gauge_mm=Decimal("0.25"),
                                 length_mm=40, retention_minutes=20, stimulation="electrical",
                                 frequency_hz=Decimal("2.0"))
    Session.objects.filter(pk=w.session.pk).update(
        status="signed", signed_at=timezone.now(), cpt_codes={"97813": 1, "97814": 1})
    w.session.refresh_from_db()
    request = request_for(w.practitioner)
    w.odi = outcomes.response_save(patient=w.patient, episode=w.episode, instrument_id="odi",
                                   time_point="baseline", answers=dict.fromkeys(range(1, 11), 2),
                                   submit=True, completed_by="staff", request=request)
    w.nrs = outcomes.response_save(patient=w.patient, episode=w.episode, instrument_id="nrs",
                                   time_point="baseline", answers={1: 7}, submit=True,
                                   completed_by="patient", request=request)
    w.event = make_adverse_event(w.patient, w.practitioner, session=w.session)
    w.consent = make_consent(w.patient, w.practitioner)
    w.appointment = make_appointment(w)
    payer = Payer.objects.create(clinic=w.clinic, name="Medicare", kind="medicare")
    w.plan = CoveragePlan.objects.create(patient=w.patient, payer=payer, member_id="1EG4TE5MK72",
                                         effective_from=timezone.localdate(), visit_limit=20)
    return w


@pytest.fixture
def make_token():
    def _make(user, clinic, scopes=(Scope.READ,), *, days=30, revoked=False):
        raw = f"acb_test_{user.pk}_{'_'.join(s.split('/')[0] for s in scopes)}_{days}_{revoked}"
        ApiToken.objects.create(
            clinic=clinic, user=user, name="test", digest=token_digest(raw), prefix=raw[:10],
            scopes=list(scopes), created_by=user,
            expires_at=timezone.now() + timedelta(days=days),
            revoked_at=timezone.now() if revoked else None)
        return raw
    return _make


@pytest.fixture
def fhir(client):
    """GET/POST/DELETE against /fhir/ with a token; returns (status, JSON or None, response)."""
    import json

    def _call(method, path, token=None, body=None, **headers):
        if token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        kwargs = {}
        if body is not None:
            kwargs = {"data": body if isinstance(body, str | bytes) else json.dumps(body),
                      "content_type": "application/fhir+json"}
        response = getattr(client, method.lower())(f"/fhir/{path}", **kwargs, **headers)
        data = None
        if response.get("Content-Type", "").startswith(("application/fhir+json",
                                                         "application/json")):
            data = json.loads(response.content)
        return response.status_code, data, response
    return _call
