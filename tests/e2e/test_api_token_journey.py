"""A clinic admin makes an API token in the browser and a program uses it; the patient
downloads their record as FHIR from the portal."""

from __future__ import annotations

import json
from pathlib import Path

from tests.factories import make_episode


def test_admin_makes_a_token_and_it_reads_the_fhir_api(page, log_in, world):
    log_in(world.admin.username)
    page.click("text=API tokens")
    page.fill("#id_name", "Referrer EHR feed")
    page.select_option("#id_user", label=world.practitioner.username)
    page.check("input[value='user/*.read']")
    page.fill("#id_days", "30")
    page.click("text=Make token")
    secret = page.locator("code.secret").inner_text()
    assert secret.startswith("acb_")
    page.screenshot(path="test-artifacts/api-token.png", full_page=True)
    # the program: a request with the token and no browser session
    response = page.request.get(f"/fhir/Patient/{world.patient.pk}",
                                headers={"Authorization": f"Bearer {secret}",
                                         "Cookie": ""})
    assert response.status == 200 and response.json()["name"][0]["family"] == "Archer"
    page.click("text=Revoke")
    assert page.locator("text=revoked").count() >= 1
    response = page.request.get("/fhir/Patient", headers={"Authorization": f"Bearer {secret}"})
    assert response.status == 401


def test_the_patient_downloads_their_record_as_fhir(page, log_in, world):
    make_episode(world.patient, world.practitioner, diagnosis_codes=["M54.50"])
    log_in(world.patient_user.username)
    page.goto("/portal/record/")
    with page.expect_download() as download:
        page.click("text=Download your record as FHIR")
    bundle = json.loads(Path(download.value.path()).read_text())
    types = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "Condition"} <= types
