"""Front desk learns nothing about a patient's clinical record from the answers of the
URLs that carry clinical ids (issue #25, section 5: POST .../episodes/<id>/outcome-link/
answered 302 for a patient's episode and 404 otherwise, which told front desk who has
an episode of care).

Every URL pattern of the project with a clinical id in it is tried, by GET and by POST,
with an id of this patient's record, an id of another patient's record and an id that
does not exist: front desk gets the same status, the same redirect and the same messages
for the three."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import URLResolver, get_resolver, reverse

from tests.factories import make_episode, make_session, make_signed_screening

# The URL arguments that name a part of the clinical record, and the world's object
# (this patient's) and the other patient's for each.
CLINICAL_IDS = {"episode_pk": "episode", "screening_pk": "screening", "session_pk": "session",
                "response_pk": "response", "alert_pk": "alert", "event_pk": "event",
                "consent_pk": "consent", "correction_pk": "correction", "entry_pk": "medication"}
# The other arguments, with a value each route accepts.
OTHER_ARGS = {"instrument_id": "phq9", "time_point": "baseline", "kind": "progress",
              "list_kind": "medication", "action": "stop"}
UNKNOWN = 999_999


def _patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace + (f"{p.namespace}:" if p.namespace else "")
            yield from _patterns(p, prefix + str(p.pattern), ns)
        elif p.name:
            yield prefix + str(p.pattern), namespace + p.name


def _clinical_routes() -> list[tuple[str, list[str]]]:
    routes = []
    for route, name in _patterns():
        args = [a for a in CLINICAL_IDS if f":{a}>" in route]
        if args:
            routes.append((name, args))
    return sorted({(name, tuple(args)) for name, args in routes})


def test_every_clinical_id_argument_is_covered():
    """A new kind of clinical id in a URL must be added to CLINICAL_IDS."""
    import re

    names = {m for route, _ in _patterns() for m in re.findall(r"<int:(\w+_pk)>", route)}
    # Invoices and payments are the front desk's own work (billing.charge), not clinical.
    assert names - {"appointment_pk", "invoice_pk", "payment_pk"} <= set(CLINICAL_IDS), names
    assert len(_clinical_routes()) >= 15


@pytest.fixture
def records(world_with_consent):
    w = world_with_consent
    other = w.other_patient
    o = type("Other", (), {})()
    o.screening = make_signed_screening(other, w.practitioner)
    o.episode = o.screening.episode
    o.session = make_session(other, w.practitioner_record, w.location, episode=o.episode)
    from acuback.outcomes import services as outcome_services
    from acuback.patients.models import Consent, CorrectionRequest
    from tests.factories import make_adverse_event, request_for

    o.response = outcome_services.response_save(
        patient=other, episode=o.episode, instrument_id="phq9", time_point="baseline",
        answers=dict.fromkeys(range(1, 10), 1), submit=True, completed_by="staff",
        request=request_for(w.practitioner))
    o.alert = o.response.alerts.get()
    o.event = make_adverse_event(other, w.practitioner)
    from acuback import signing

    with signing.signing():  # arranging a consent signed earlier
        o.consent = Consent.objects.create(
            patient=other, form=w.consent_form, kind="treatment", version="1",
            text_sha256=w.consent_form.text_sha256, signature_name="Other",
            signed_at="2026-01-01T10:00:00Z", recorded_by=w.practitioner)
    o.correction = CorrectionRequest.objects.create(patient=other, text="Wrong birth date.")
    from acuback.screening.models import Medication

    o.medication = Medication.objects.create(patient=other, name="warfarin",
                                             recorded_by=w.practitioner)
    w.medication = Medication.objects.create(patient=w.patient, name="aspirin",
                                             recorded_by=w.practitioner)
    w.other = o
    # A second episode for this patient, so that "has an episode" is not the only fact.
    make_episode(w.patient, w.practitioner)
    return w


def _answer(client, method, url):
    client.cookies.pop("messages", None)
    response = getattr(client, method)(url)
    return (response.status_code, response.get("Location"),
            [str(m) for m in get_messages(response.wsgi_request)])


@pytest.mark.parametrize(("name", "args"), _clinical_routes())
@pytest.mark.parametrize("method", ["get", "post"])
def test_front_desk_gets_the_same_answer_for_every_clinical_id(records, login, name, args,
                                                               method):
    w = records
    client = login(w.front_desk)
    kwargs_base = {"pk": w.patient.pk} if _accepts(name, "pk") else {}
    answers = {}
    for case in ("own", "other", "unknown"):
        kwargs = dict(kwargs_base)
        for arg in args:
            attr = CLINICAL_IDS[arg]
            kwargs[arg] = {"own": getattr(w, attr).pk, "other": getattr(w.other, attr).pk,
                           "unknown": UNKNOWN}[case]
        route_kwargs = {**kwargs, **{k: v for k, v in OTHER_ARGS.items()
                                     if _accepts(name, k)}}
        answers[case] = _answer(client, method, reverse(name, kwargs=route_kwargs))
    assert answers["own"] == answers["other"] == answers["unknown"], answers


def _accepts(name: str, arg: str) -> bool:
    return any(n == name and f":{arg}>" in route for route, n in _patterns())
