"""The break-the-glass rule at every door that is not a web page: the FHIR API (read,
search, $everything) and the JSON API, through a browser session and through a read
token, for every actor (issue #25, section 2).

Alice's record is alpha_prac's (episode, signed session, scores). `colleague` is a
practitioner of the same clinic with no care relationship (dokafor in the demo);
`colleague_glass` is the same colleague after breaking the glass on the web."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from acuback.audit.models import AuditEvent
from acuback.interop.models import ApiToken, Scope, token_digest
from tests.factories import make_practitioner, make_record, make_user

ACTORS = ["anonymous", "patient", "other_patient", "front_desk", "practitioner", "colleague",
          "colleague_glass", "clinic_admin", "other_clinic"]
STAFF = ["front_desk", "practitioner", "colleague", "colleague_glass", "clinic_admin",
         "other_clinic"]


@pytest.fixture
def record(world, login):
    w = make_record(world)
    w.colleague = make_user(w.clinic, "practitioner", "dokafor")
    make_practitioner(w.clinic, w.colleague)
    return w


def _user(w, actor):
    if actor in ("colleague", "colleague_glass"):
        return w.colleague
    return w.user_for(actor)


def _break_glass(w, login):
    response = login(w.colleague).post(f"/patients/{w.patient.pk}/break-glass/", {
        "reason": "Covering for alpha_prac: the patient phoned about pain"})
    assert response.status_code == 302


def _token(user, clinic) -> str:
    raw = f"acb_glass_test_{user.pk}"
    if ApiToken.objects.filter(digest=token_digest(raw)).exists():
        return raw
    ApiToken.objects.create(clinic=clinic, user=user, name="test", digest=token_digest(raw),
                            prefix=raw[:10], scopes=[Scope.READ], created_by=user,
                            expires_at=timezone.now() + timedelta(days=30))
    return raw


def _client(w, actor, how, login):
    """A client for the actor, by browser session or by the actor's own read token."""
    user = _user(w, actor)
    if actor == "colleague_glass":
        _break_glass(w, login)
    client = login(user)
    headers = {}
    if how == "token":
        client = login(None)
        clinic = w.clinic if actor != "other_clinic" else user.memberships.get().clinic
        headers["HTTP_AUTHORIZATION"] = f"Bearer {_token(user, clinic)}"
    return client, headers


def _get(client, headers, url):
    response = client.get(url, **headers)
    body = json.loads(response.content) if response.content else None
    return response.status_code, body


# Status for each actor at each door. A token is staff-only, so the token runs cover the
# staff actors; the browser session covers everyone. Outside the care relationship with
# no grant the answer is 404, as for an id that does not exist (issue #25, third re-test:
# the status must not tell them apart; tests/security/test_api_refusals.py).
EVERYTHING = {"anonymous": 401, "patient": 403, "other_patient": 403, "front_desk": 200,
              "practitioner": 200, "colleague": 404, "colleague_glass": 200,
              "clinic_admin": 200, "other_clinic": 404}
# The front desk's role does not open the clinical record: a clinical type is refused
# alike for read and search (403), whatever the id (issue #30).
READ_ENCOUNTER = {**EVERYTHING, "front_desk": 403}
SEARCH = {**EVERYTHING, "front_desk": 403, "colleague": 200, "other_clinic": 200}
SCORES = {"anonymous": 401, "patient": 403, "other_patient": 403, "front_desk": 403,
          "practitioner": 200, "colleague": 404, "colleague_glass": 200, "clinic_admin": 200,
          "other_clinic": 404}
# How many of Alice's sessions a search of all Encounters returns: what a read would
# serve, the break-the-glass grant included (issue #30).
ENCOUNTERS_FOUND = {"front_desk": 0, "practitioner": 1, "colleague": 0, "colleague_glass": 1,
                    "clinic_admin": 1, "other_clinic": 0}
# Clinical resources (not Patient, Organization, Practitioner, Location, Appointment,
# Coverage) in $everything.
CLINICAL = {"Condition", "Encounter", "Procedure", "Observation", "QuestionnaireResponse",
            "AdverseEvent", "Consent"}


def _cases():
    for actor in ACTORS:
        yield actor, "session"
        if actor in STAFF:
            yield actor, "token"


@pytest.mark.parametrize(("actor", "how"), list(_cases()))
def test_fhir_everything_obeys_the_care_relationship(record, login, actor, how):
    client, headers = _client(record, actor, how, login)
    status, body = _get(client, headers, f"/fhir/Patient/{record.patient.pk}/$everything")
    assert status == EVERYTHING[actor], (actor, how, body)
    if status == 200:
        types = {e["resource"]["resourceType"] for e in body["entry"]}
        expect_clinical = actor in ("practitioner", "colleague_glass", "clinic_admin")
        assert bool(types & CLINICAL) == expect_clinical, (actor, types)
    if actor == "colleague":
        assert body["resourceType"] == "OperationOutcome"
        assert "break the glass" in body["issue"][0]["diagnostics"]


@pytest.mark.parametrize(("actor", "how"), list(_cases()))
def test_fhir_read_of_a_session_note_obeys_the_care_relationship(record, login, actor, how):
    client, headers = _client(record, actor, how, login)
    status, body = _get(client, headers, f"/fhir/Encounter/{record.session.pk}")
    assert status == READ_ENCOUNTER[actor], (actor, how, body)
    if actor == "colleague":
        assert "outside your care relationship" in body["issue"][0]["diagnostics"]


@pytest.mark.parametrize(("actor", "how"), list(_cases()))
def test_fhir_search_returns_what_a_read_serves(record, login, actor, how):
    client, headers = _client(record, actor, how, login)
    status, body = _get(client, headers, "/fhir/Encounter?_count=500")
    assert status == SEARCH[actor], (actor, how, body)
    if status == 200:
        assert body["total"] == ENCOUNTERS_FOUND[actor], actor
        status, body = _get(client, headers, f"/fhir/Observation?patient={record.patient.pk}")
        assert (body["total"] > 0) == (ENCOUNTERS_FOUND[actor] > 0), actor


@pytest.mark.parametrize(("actor", "how"), list(_cases()))
def test_json_api_scores_obey_the_care_relationship(record, login, actor, how):
    client, headers = _client(record, actor, how, login)
    status, body = _get(client, headers, f"/api/patients/{record.patient.pk}/scores")
    assert status == SCORES[actor], (actor, how, body)
    if status == 200:
        assert {row["instrument"] for row in body} == {"odi", "nrs"}


@pytest.mark.parametrize("how", ["session", "token"])
def test_reads_through_the_glass_are_flagged_for_the_clinic_admin(record, login, how):
    client, headers = _client(record, "colleague", how, login)
    for url in (f"/fhir/Encounter/{record.session.pk}",
                f"/fhir/Patient/{record.patient.pk}/$everything",
                f"/api/patients/{record.patient.pk}/scores"):
        assert client.get(url, **headers).status_code == 404
    assert not AuditEvent.objects.filter(actor=record.colleague, break_glass=True).exists()
    client, headers = _client(record, "colleague_glass", how, login)
    for url in (f"/fhir/Encounter/{record.session.pk}",
                f"/fhir/Patient/{record.patient.pk}/$everything",
                f"/api/patients/{record.patient.pk}/scores"):
        assert client.get(url, **headers).status_code == 200
    flagged = set(AuditEvent.objects.filter(actor=record.colleague, break_glass=True)
                  .values_list("action", flat=True))
    assert flagged == {"break_glass", "fhir.read", "fhir.everything", "api.patient_scores"}
    home = login(record.admin).get("/").content.decode()
    assert "dokafor" in home and "Covering for alpha_prac" in home


def test_a_grant_expires_after_eight_hours(record, login):
    from unittest import mock

    client, headers = _client(record, "colleague_glass", "token", login)
    url = f"/fhir/Encounter/{record.session.pk}"
    assert client.get(url, **headers).status_code == 200
    later = timezone.now() + timedelta(hours=8, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert client.get(url, **headers).status_code == 404


def _clinical_ids(w) -> dict[str, int]:
    """One resource of Alice's clinical record of each FHIR type."""
    return {"Condition": w.episode.pk, "Encounter": w.session.pk, "Procedure": w.session.pk,
            "Observation": w.odi.pk, "QuestionnaireResponse": w.odi.pk,
            "AdverseEvent": w.event.pk, "Consent": w.consent.pk}


# A read of one resource of each clinical type, and a search of that type for Alice.
READ_ANY = {"front_desk": 403, "practitioner": 200, "colleague": 404, "colleague_glass": 200,
            "clinic_admin": 200, "other_clinic": 404}
FOUND_ANY = {"front_desk": False, "practitioner": True, "colleague": False,
             "colleague_glass": True, "clinic_admin": True, "other_clinic": False}


@pytest.mark.parametrize("resource_type", sorted(CLINICAL))
@pytest.mark.parametrize("actor", sorted(READ_ANY))
def test_every_clinical_resource_type_obeys_the_care_relationship(record, login, actor,
                                                                  resource_type):
    assert set(_clinical_ids(record)) == CLINICAL
    client, headers = _client(record, actor, "token", login)
    pk = _clinical_ids(record)[resource_type]
    status, body = _get(client, headers, f"/fhir/{resource_type}/{pk}")
    assert status == READ_ANY[actor], (actor, resource_type, body)
    if actor == "colleague":
        assert body["resourceType"] == "OperationOutcome"
        assert "outside your care relationship" in body["issue"][0]["diagnostics"]
    status, body = _get(client, headers, f"/fhir/{resource_type}?patient={record.patient.pk}")
    if status == 200:
        assert (body["total"] > 0) == FOUND_ANY[actor], (actor, resource_type, body["total"])
    if actor == "colleague_glass":
        assert AuditEvent.objects.filter(actor=record.colleague, action="fhir.read",
                                         break_glass=True).exists()


# Search and read agree (issue #30): what a read serves, a search of that type for the
# patient finds (a grant included, flagged as for read); a role the type is closed to gets
# the same 403 OperationOutcome from both; a 404 read is a search that finds nothing.
@pytest.mark.parametrize("how", ["session", "token"])
@pytest.mark.parametrize("resource_type", sorted(CLINICAL))
@pytest.mark.parametrize("actor", sorted(READ_ANY))
def test_search_and_read_agree_for_every_clinical_type(record, login, actor, resource_type,
                                                       how):
    client, headers = _client(record, actor, how, login)
    pk = _clinical_ids(record)[resource_type]
    read, read_body = _get(client, headers, f"/fhir/{resource_type}/{pk}")
    found, body = _get(client, headers,
                       f"/fhir/{resource_type}?patient={record.patient.pk}&_count=500")
    listed, all_body = _get(client, headers, f"/fhir/{resource_type}?_count=500")
    if read == 403:
        assert found == listed == 403, (actor, resource_type, body)
        assert body["resourceType"] == all_body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["code"] == read_body["issue"][0]["code"] == "forbidden"
        return
    assert found == listed == 200, (actor, resource_type, body)
    ids = {e["resource"]["id"] for e in body.get("entry", [])}
    everywhere = {e["resource"]["id"] for e in all_body.get("entry", [])}
    assert (str(pk) in ids) == (read == 200), (actor, resource_type, read, ids)
    assert (str(pk) in everywhere) == (read == 200), (actor, resource_type, read)
    if actor == "colleague_glass":
        searched = AuditEvent.objects.filter(actor=record.colleague, action="fhir.search")
        assert searched.exists() and all(e.break_glass for e in searched)


def test_the_front_desk_is_refused_every_clinical_type_alike(record, login):
    """The type is closed to the role: the same 403 for a read, a search, and an id that
    does not exist (the status says nothing about the patient's record)."""
    client, headers = _client(record, "front_desk", "token", login)
    for resource_type, pk in _clinical_ids(record).items():
        answers = {_get(client, headers, url)[0] for url in (
            f"/fhir/{resource_type}/{pk}", f"/fhir/{resource_type}/987654321",
            f"/fhir/{resource_type}?patient={record.patient.pk}", f"/fhir/{resource_type}")}
        assert answers == {403}, resource_type
    assert _get(client, headers, f"/fhir/Patient?_id={record.patient.pk}")[0] == 200
