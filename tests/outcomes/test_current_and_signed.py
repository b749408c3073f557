"""The outcome series' two reads, written out in SQL, against the ORM's rules."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from acuback import signing
from acuback.outcomes import services
from acuback.outcomes.models import QuestionnaireResponse
from acuback.outcomes.selectors import SERIES_FIELDS, _current_and_signed
from acuback.treatment.models import Session
from tests.factories import make_episode, make_session, request_for


def save(world, episode, value, submit=True, supersedes=None, time_point="review"):
    return services.response_save(
        patient=world.patient, episode=episode, instrument_id="nrs", time_point=time_point,
        answers={1: value}, submit=submit, completed_by="staff",
        request=request_for(world.practitioner), supersedes=supersedes,
        correction_reason="typo" if supersedes else "")


def test_current_responses_and_signed_sessions_match_the_orm(world):
    one, two, other = (make_episode(world.patient, world.practitioner) for _ in range(3))
    save(world, one, 7, time_point="baseline")
    wrong = save(world, one, 9)
    corrected = save(world, one, 5, supersedes=wrong)  # supersedes the 9
    save(world, one, 3, submit=False)  # a draft is not a score
    save(world, two, 6, time_point="baseline")
    save(world, other, 2)  # not asked for
    for n, (episode, status) in enumerate([(one, "signed"), (one, "draft"), (two, "signed"),
                                           (one, "signed"), (other, "signed")]):
        session = make_session(world.patient, world.practitioner_record, world.location,
                               episode=episode)
        with signing.signing():  # arranging data signed earlier
            Session.objects.filter(pk=session.pk).update(
                status=status, signed_at=timezone.now() if status == "signed" else None,
                session_date=timezone.localdate() - timedelta(days=10 - n))
    responses, sessions = _current_and_signed([one, two])
    assert set(responses) == set(sessions) == {one.pk, two.pk}
    for episode in (one, two):
        expected = list(QuestionnaireResponse.objects.current().filter(episode=episode)
                        .order_by("submitted_at", "pk"))
        assert [r.pk for r in responses[episode.pk]] == [r.pk for r in expected]
        for got, want in zip(responses[episode.pk], expected, strict=True):
            assert all(getattr(got, f) == getattr(want, f) for f in SERIES_FIELDS)
            assert timezone.is_aware(got.submitted_at)
        expected_sessions = list(Session.objects.filter(episode=episode, status="signed")
                                 .order_by("session_date", "pk"))
        assert [(s.pk, s.session_date, s.signed_at) for s in sessions[episode.pk]] == \
            [(s.pk, s.session_date, s.signed_at) for s in expected_sessions]
    assert [r.total for r in responses[one.pk]] == [7, 5]  # the correction, not the 9
    assert responses[one.pk][1].pk == corrected.pk and responses[one.pk][1].supersedes_id
    assert len(sessions[one.pk]) == 2 and len(sessions[two.pk]) == 1
    assert _current_and_signed([]) == ({}, {})
