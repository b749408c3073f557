"""The JSON API answers huge numbers, Unicode digits and parameters it does not know with
a 4xx naming the parameter, never a 500 and never an answer that ignored what was asked
(issue #30, the /api/ sweep)."""

from __future__ import annotations

import pytest

API = "/api"
TWENTY = "9" * 20


@pytest.fixture
def staff(world, login):
    return login(world.admin)


@pytest.mark.parametrize("path", [
    f"/patients/{TWENTY}/scores", "/patients/%D9%A1/scores", "/patients/%C2%B2/scores",
    f"/slots?practitioner_id={TWENTY}&location_id=1&type_id=1&day=2026-01-05",
    "/slots?practitioner_id=%D9%A1&location_id=1&type_id=1&day=2026-01-05",
    "/slots?practitioner_id=1&location_id=1&type_id=1&day=9999-12-31",
    "/slots?practitioner_id=1&location_id=1&type_id=1&day=0001-01-01",
    "/acupoints?q=BL&limit=%C2%B2", f"/acupoints?q=BL&limit={TWENTY}"])
def test_hostile_numbers_are_a_client_error(staff, path):
    response = staff.get(API + path)
    assert 400 <= response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize("path, name", [
    ("/acupoints?q=BL&meridian=LU", "meridian"), ("/instruments?id=odi", "id"),
    ("/acupoints/BL23?lang=zh", "lang"), ("/patients/{pid}/scores?instrument=odi", "instrument"),
    ("/slots?practitioner_id=1&location_id=1&type_id=1&day=2026-01-05&duration=90",
     "duration")])
def test_an_unknown_parameter_is_refused_naming_it(world, staff, path, name):
    response = staff.get(API + path.format(pid=world.patient.pk))
    assert response.status_code == 400, path
    assert name in response.json()["detail"]
