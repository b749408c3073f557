"""Refusals at the FHIR API and the JSON API (issue #25, third re-test, points 2 and 3).

- Another clinic's refused requests (`/fhir/Patient/1`, `/fhir/Encounter/1`,
  `/fhir/Patient/2/$everything`, `/api/patients/1/scores`) are in the targeted clinic's
  audit log, as the web's are, and the attacker's own clinic log shows them in the shape
  of an unknown id.
- A practitioner outside the care relationship gets the same answer for an id that
  exists and one that does not (404, one text that still points to break the glass)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from acuback.audit.models import AuditEvent
from tests.factories import make_practitioner, make_record, make_user
from tests.security.test_break_glass_api import _token

REFUSALS = ("security.forbidden", "security.not_found")
UNKNOWN = 10_000


@pytest.fixture
def record(world):
    w = make_record(world)
    w.colleague = make_user(w.clinic, "practitioner", "dokafor")
    make_practitioner(w.clinic, w.colleague)
    return w


def _doors(w, offset: int = 0) -> dict[str, tuple[str, str]]:
    """name -> (url, the audit target of the object it names)."""
    p, s = w.patient.pk + offset, w.session.pk + offset
    return {
        "fhir_patient": (f"/fhir/Patient/{p}", f"patients.patient:{p}"),
        "fhir_encounter": (f"/fhir/Encounter/{s}", f"treatment.session:{s}"),
        "fhir_everything": (f"/fhir/Patient/{p}/$everything", f"patients.patient:{p}"),
        "api_scores": (f"/api/patients/{p}/scores", f"patients.patient:{p}"),
    }


def _clients(user, clinic, login):
    token = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_token(user, clinic)}"}
    return {"session": (login(user), {}), "token": (token, headers)}


@pytest.mark.parametrize("how", ["session", "token"])
def test_another_clinics_api_refusals_reach_the_targeted_clinics_log(record, login, how):
    w = record
    beta = w.outsider_patient.clinic
    client, headers = _clients(w.outsider, beta, login)[how]
    for name, (url, target) in _doors(w).items():
        before = AuditEvent.objects.count()
        assert client.get(url, **headers).status_code == 404, name
        events = list(AuditEvent.objects.filter(pk__gt=0).order_by("-pk")[
            :AuditEvent.objects.count() - before])
        aimed = [e for e in events if e.clinic_id == w.clinic.pk]
        assert [(e.action, e.target, e.actor_id) for e in aimed] == [
            ("security.not_found", target, w.outsider.pk)], name
        assert aimed[0].detail["path"] == url
        own = [e for e in events if e.clinic_id == beta.pk]
        assert [(e.action, e.target) for e in own] == [("security.not_found", "")], name


@pytest.mark.parametrize("how", ["session", "token"])
def test_the_attackers_log_does_not_tell_an_object_from_an_unknown_id(record, login, how):
    w = record
    beta = w.outsider_patient.clinic
    client, headers = _clients(w.outsider, beta, login)[how]
    for (name, (known, _)), (_, (unknown, _)) in zip(_doors(w).items(),
                                                    _doors(w, UNKNOWN).items(), strict=True):
        first = client.get(known, **headers)
        second = client.get(unknown, **headers)
        assert first.status_code == second.status_code == 404, name
        assert _same_text(first, second, known, unknown), name
    own = AuditEvent.objects.filter(clinic=beta, action__in=REFUSALS).order_by("pk")
    assert {(e.action, e.target, e.patient_id) for e in own} == {
        ("security.not_found", "", None)}
    assert own.count() == 2 * len(_doors(w))
    # Only the known ids reached Riverside's log.
    assert AuditEvent.objects.filter(clinic=w.clinic, action__in=REFUSALS,
                                     actor=w.outsider).count() == len(_doors(w))


def _same_text(first, second, known: str, unknown: str) -> bool:
    """The two answers, with the ids they name taken out, are the same."""
    def text(response, url):
        body = response.content.decode()
        for part in url.strip("/").split("/"):
            if part.isdigit():
                body = body.replace(part, "<id>")
        return body
    return text(first, known) == text(second, unknown)


@pytest.mark.parametrize("how", ["session", "token"])
@pytest.mark.parametrize("door", ["fhir_encounter", "fhir_everything", "api_scores"])
def test_outside_the_care_relationship_an_id_that_exists_answers_as_one_that_does_not(
        record, login, how, door):
    w = record
    client, headers = _clients(w.colleague, w.clinic, login)[how]
    known, _ = _doors(w)[door]
    unknown, _ = _doors(w, UNKNOWN)[door]
    first, second = client.get(known, **headers), client.get(unknown, **headers)
    assert first.status_code == second.status_code == 404
    assert _same_text(first, second, known, unknown)
    # The one answer still tells a clinician how to reach the record legitimately.
    assert "break the glass" in first.content.decode()
    # The refusal of the existing record is in the clinic's log, naming it.
    assert AuditEvent.objects.filter(actor=w.colleague, action="security.forbidden",
                                     clinic=w.clinic,
                                     target=f"patients.patient:{w.patient.pk}").exists()


def test_the_fhir_404_speaks_fhir(record, login):
    w = record
    body = json.loads(login(w.colleague).get(_doors(w)["fhir_encounter"][0]).content)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "not-found"
