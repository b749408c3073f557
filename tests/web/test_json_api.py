"""The JSON API for acuback's own pages: behaviour, access, and schemathesis fuzzing of its
OpenAPI document (no generated request may cause a server error)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from tests.factories import make_world

API = "/api"


def test_the_openapi_document_is_published(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert set(response.json()["paths"]) >= {"/api/acupoints", "/api/slots",
                                             "/api/patients/{patient_id}/scores"}


def test_acupoint_search_accepts_aliases(world, login):
    client = login(world.practitioner)
    response = client.get(f"{API}/acupoints", {"q": "UB23"})
    assert response.status_code == 200 and response.json()[0]["code"] == "BL23"
    assert client.get(f"{API}/acupoints/XX999").status_code == 404


def test_the_api_is_for_staff(world, login):
    assert login(None).get(f"{API}/instruments").status_code == 401
    assert login(world.patient_user).get(f"{API}/instruments").status_code == 403
    assert login(world.front_desk).get(f"{API}/instruments").status_code == 200


def test_scores_follow_the_clinical_access_rules(world, login):
    from acuback.outcomes import services
    from tests.factories import make_episode, request_for

    episode = make_episode(world.patient, world.practitioner)
    services.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                           time_point="baseline", answers={1: 6}, submit=True,
                           completed_by="staff", request=request_for(world.practitioner))
    url = f"{API}/patients/{world.patient.pk}/scores"
    response = login(world.practitioner).get(url)
    assert response.status_code == 200 and response.json()[0]["total"] == 6
    assert login(world.front_desk).get(url).status_code == 403
    assert login(world.outsider).get(url).status_code == 404


# Loaded from the app itself (no database needed to build the document).
schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", get_wsgi_application())
STATUSES: dict[str, set[int]] = {}


@pytest.fixture
def keep_connection():
    """Calling the WSGI app directly fires request_finished, which closes the database
    connection (and, on PostgreSQL, the test's transaction); Django's test client avoids
    that the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def staff_headers(db, keep_connection):
    from datetime import timedelta

    from django.utils import timezone

    from acuback.interop.models import ApiToken, Scope, token_digest

    world = make_world()
    ApiToken.objects.create(clinic=world.clinic, user=world.admin, name="fuzz",
                            digest=token_digest("acb_fuzz"), prefix="acb_fuzz",
                            scopes=[Scope.READ], created_by=world.admin,
                            expires_at=timezone.now() + timedelta(days=1))
    return {"Host": "testserver", "Authorization": "Bearer acb_fuzz"}


@schema.parametrize()
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_no_request_causes_a_server_error(case, staff_headers):
    from schemathesis.checks import not_a_server_error

    response = case.call(headers=staff_headers)
    STATUSES.setdefault(case.operation.label, set()).add(response.status_code)
    case.validate_response(response, checks=[not_a_server_error])


def test_the_fuzzing_reached_the_views():
    """Guards the test above against passing vacuously (every request refused early)."""
    if not STATUSES:
        pytest.skip("run together with the fuzzing test")
    assert all(codes & {200, 404, 422} for codes in STATUSES.values()), STATUSES


def test_the_api_docs_page_uses_no_cdn(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "cdn." not in page and "/static/ninja/swagger-ui-bundle.js" in page


def test_a_token_is_held_to_its_clinic_in_the_json_api(world, client):
    from datetime import timedelta

    from django.utils import timezone

    from acuback.accounts.models import Clinic, Membership
    from acuback.interop.models import ApiToken, token_digest

    beta = Clinic.objects.get(memberships__user=world.outsider)
    Membership.objects.create(user=world.admin, clinic=beta, role="clinic_admin")
    ApiToken.objects.create(clinic=beta, user=world.admin, name="beta only",
                            digest=token_digest("acb_beta"), prefix="acb_beta",
                            scopes=["user/*.read"], created_by=world.admin,
                            expires_at=timezone.now() + timedelta(days=1))
    url = f"{API}/patients/{world.patient.pk}/scores"  # a patient of clinic A
    assert client.get(url, HTTP_AUTHORIZATION="Bearer acb_beta").status_code == 404
    client.force_login(world.admin)  # the same person's session sees both clinics
    assert client.get(url).status_code == 200
