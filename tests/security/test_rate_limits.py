"""Public and costly endpoints are limited per client address and per target, with a 429
that says when to try again (issue #25 §4). Each test sets the limits it needs; the rest
of the suite runs with none (tests/conftest.py)."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from django.core import mail
from django.urls import reverse

import acuback.settings as deployed  # the module itself, not the tests' override
from acuback.patients.models import Patient
from tests.interop.conftest import make_token  # noqa: F401 (fixture)
from tests.portal.test_portal import (  # noqa: F401 (fixture)
    CHICAGO,
    bookable,
    new_patient_data,
)
from tests.queued_tasks import run_queued_tasks


@pytest.fixture
def limits(settings):
    def _set(**rates):
        settings.ACUBACK_RATE_LIMITS = rates
    return _set


def _at(world, hour) -> str:
    return datetime.combine(world.day, time(hour), tzinfo=CHICAGO).isoformat()


def _retry_after(response) -> int:
    assert response.status_code == 429
    seconds = int(response["Retry-After"])
    assert 0 < seconds <= 3600 + 5
    return seconds


def test_magic_links_are_limited_per_email_address(world, client, limits):
    limits(magic_link_per_email="3/h")
    world.patient_user.email = "alice@example.com"
    world.patient_user.save()
    for n in range(3):
        assert client.post(reverse("portal_login"), {"email": "alice@example.com"}
                           ).status_code == 200, n
    refused = client.post(reverse("portal_login"), {"email": " ALICE@example.com"})
    _retry_after(refused)
    assert "Too many requests" in refused.content.decode()
    assert "try again in" in refused.content.decode()
    run_queued_tasks()  # only what was let through was queued
    assert len(mail.outbox) == 3
    # another address from the same client is still served
    assert client.post(reverse("portal_login"), {"email": "bob@example.com"}).status_code == 200


def test_magic_links_are_limited_per_client_whatever_the_address(world, client, limits):
    limits(magic_link_per_client="3/h")
    for n in range(3):
        assert client.post(reverse("portal_login"), {"email": f"p{n}@example.com"}
                           ).status_code == 200
    _retry_after(client.post(reverse("portal_login"), {"email": "p9@example.com"}))
    other = client.post(reverse("portal_login"), {"email": "p9@example.com"},
                        REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_new_patient_bookings_are_limited_per_clinic(bookable, client, limits):  # noqa: F811
    limits(booking_per_clinic="2/h")
    url = reverse("public_book", args=[bookable.clinic.slug])
    for n in range(2):
        response = client.post(url, new_patient_data(bookable, email=f"n{n}@example.com"),
                               REMOTE_ADDR=f"10.0.1.{n}")
        assert response.status_code != 429
    before = Patient.objects.count()
    refused = client.post(url, new_patient_data(bookable, email="n9@example.com",
                                                start=new_patient_data(bookable)["start"]
                                                .replace("T10:", "T11:")),
                          REMOTE_ADDR="10.0.1.9")
    _retry_after(refused)
    assert Patient.objects.count() == before  # nothing created


def test_new_patient_bookings_are_limited_per_client(bookable, client, limits):  # noqa: F811
    limits(booking_per_client="2/h")
    url = reverse("public_book", args=[bookable.clinic.slug])
    for n in range(2):
        assert client.post(url, new_patient_data(bookable, email=f"c{n}@example.com")
                           ).status_code != 429
    _retry_after(client.post(url, new_patient_data(bookable, email="c9@example.com")))
    assert client.post(url, new_patient_data(bookable, email="c9@example.com"),
                       REMOTE_ADDR="10.0.2.1").status_code != 429
    # looking for times is not counted
    assert client.get(url, {"location": bookable.location.pk, "type": bookable.first_visit.pk,
                            "day": bookable.day.isoformat()}).status_code == 200


def test_new_patient_bookings_are_limited_per_email_address(bookable, client, limits):  # noqa: F811
    """Each booking request e-mails the address given a link (known or not), so the form
    must not mail one address without end."""
    limits(booking_per_email="2/h")
    Patient.objects.filter(pk=bookable.patient.pk).update(email="alice@example.com")
    url = reverse("public_book", args=[bookable.clinic.slug])
    for n in range(2):  # each request holds its own slot (9:00, 10:00)
        assert client.post(url, new_patient_data(bookable, email="alice@example.com",
                                                 start=_at(bookable, 9 + n)),
                           REMOTE_ADDR=f"10.0.3.{n}").status_code == 200
    _retry_after(client.post(url, new_patient_data(bookable, email=" Alice@Example.com"),
                             REMOTE_ADDR="10.0.3.9"))
    assert len(mail.outbox) == 2
    # another address is still served, and a new one the same way as a known one
    for email in ("nia@example.com", "nia@example.com", "nia@example.com"):
        client.post(url, new_patient_data(bookable, email=email), REMOTE_ADDR="10.0.3.10")
    assert client.post(url, new_patient_data(bookable, email="nia@example.com"),
                       REMOTE_ADDR="10.0.3.11").status_code == 429


def test_questionnaire_link_submissions_are_limited_per_link_and_per_client(
        world_with_consent, client, limits):
    limits(link_submit_per_link="2/h", link_submit_per_client="3/h")
    url = f"/q/{world_with_consent.token}/nrs/"
    draft = {"item_1": "5", "action": "save"}
    for _ in range(2):
        assert client.post(url, draft).status_code in (200, 302)
    _retry_after(client.post(url, draft))
    assert client.get(url).status_code == 200  # reading is not counted


def test_the_fhir_api_is_limited_per_token_with_an_operation_outcome(world, client, limits,
                                                                     make_token):  # noqa: F811
    limits(api_per_token="3/m")
    token = make_token(world.practitioner, world.clinic)
    other = make_token(world.admin, world.clinic)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for _ in range(3):
        assert client.get("/fhir/Patient", **headers).status_code == 200
    refused = client.get("/fhir/Patient", **headers)
    assert 0 < _retry_after(refused) <= 65
    body = refused.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "throttled"
    assert refused["Content-Type"].startswith("application/fhir+json")
    assert client.get("/fhir/Patient", HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 200


def test_the_json_api_is_limited_per_token_with_a_json_error(world, client, limits,
                                                             make_token):  # noqa: F811
    limits(api_per_token="3/m")
    token = make_token(world.practitioner, world.clinic)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for _ in range(3):
        assert client.get("/api/acupoints?q=BL23", **headers).status_code == 200
    refused = client.get("/api/acupoints?q=BL23", **headers)
    _retry_after(refused)
    assert "too many requests" in refused.json()["detail"]


def test_the_oauth_token_endpoint_is_limited_per_app(world, client, limits):
    from tests.interop.smart_helpers import register

    limits(oauth_token_per_app="3/m")
    app, _ = register(world)
    other, _ = register(world)
    request = {"grant_type": "authorization_code", "code": "nope",
               "redirect_uri": "https://app.example.org/callback",
               "client_id": app.application.client_id, "code_verifier": "v" * 50}
    for _ in range(3):
        assert client.post("/oauth/token/", request).status_code == 400  # a wrong code
    refused = client.post("/oauth/token/", request)
    assert 0 < _retry_after(refused) <= 65
    assert refused.json()["error"] == "invalid_request"
    assert "too many" in refused.json()["error_description"]
    # Another app is counted apart.
    request["client_id"] = other.application.client_id
    assert client.post("/oauth/token/", request).status_code == 400


def test_the_oauth_token_endpoint_is_limited_per_client_address(world, client, limits):
    limits(oauth_token_per_client="2/m")
    for n in range(2):
        assert client.post("/oauth/token/", {"client_id": f"guess-{n}"}).status_code in (
            400, 401)
    _retry_after(client.post("/oauth/token/", {"client_id": "guess-3"}))


def test_the_deployment_limits_every_public_and_costly_endpoint_by_default():
    rates = deployed.ACUBACK_RATE_LIMITS
    assert set(rates) == {"magic_link_per_email", "magic_link_per_client",
                          "password_reset_per_email", "password_reset_per_client",
                          "booking_per_clinic", "booking_per_client", "booking_per_email",
                          "link_submit_per_link",
                          "link_submit_per_client", "api_per_token",
                          "oauth_token_per_app", "oauth_token_per_client",
                          "desk_link_per_patient"}
    assert all(rates.values())
    assert deployed.RATELIMIT_USE_CACHE == "limits"
    assert deployed.CACHES["limits"]["BACKEND"] == "acuback.web.limits.LimitsCache"


def test_a_limit_is_read_from_the_environment_and_a_bad_one_is_refused(monkeypatch):
    from acuback.env import env_rate

    monkeypatch.setenv("ACUBACK_LIMIT_X", "20/10m")
    assert env_rate("ACUBACK_LIMIT_X", "5/h") == "20/10m"
    monkeypatch.setenv("ACUBACK_LIMIT_X", "off")
    assert env_rate("ACUBACK_LIMIT_X", "5/h") is None
    for bad in ("5", "five/h", "0/h", "5/2d", "5/h;drop"):
        monkeypatch.setenv("ACUBACK_LIMIT_X", bad)
        with pytest.raises(ValueError, match="ACUBACK_LIMIT_X"):
            env_rate("ACUBACK_LIMIT_X", "5/h")


def test_the_counters_are_shared_by_every_worker_in_the_database(db, settings):
    """Two processes' cache objects over the same table count together."""
    from acuback.web.limits import LimitsCache

    settings.CACHES = deployed.CACHES
    one, two = (LimitsCache("acuback_limits", {}) for _ in range(2))
    assert one.add("rl:test", 0, 60)
    assert one.incr("rl:test") == 1
    assert two.incr("rl:test") == 2
    assert one.get("rl:test") == 2


def test_password_reset_e_mails_are_limited_per_address_and_per_client(world, client, limits):
    # Found by the attacker's re-test of issue #25 §4: 12 of 12 reset requests for one
    # staff address were answered and e-mailed, with no limit at all.
    from django.core import mail

    limits(password_reset_per_email="3/h", password_reset_per_client="5/h")
    url = reverse("password_reset")
    for _ in range(3):
        assert client.post(url, {"email": world.practitioner.email or "p@x.org"}
                           ).status_code == 200
    sent = len(mail.outbox)
    _retry_after(client.post(url, {"email": (world.practitioner.email or "p@x.org").upper()}))
    assert len(mail.outbox) == sent
    for n in range(1):  # another address from the same client, up to its limit (5)
        assert client.post(url, {"email": f"other{n}@example.org"}).status_code == 200
    _retry_after(client.post(url, {"email": "other9@example.org"}))
