from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_a_practitioner_registers_a_patient_finds_them_and_opens_the_chart(world, page, log_in):
    log_in("alpha_prac")
    page.click("text=Register a patient")
    page.fill("#id_given_name", "Maya")
    page.fill("#id_family_name", "Okonkwo")
    page.fill("#id_date_of_birth", "2999-01-01")
    page.fill("#id_email", "maya@")
    page.click("button:has-text('Register')")
    # Wrong input: each message sits next to its field, nothing is saved.
    assert page.text_content("#id_date_of_birth_error") == "Date of birth cannot be in the future."
    assert "valid email" in page.text_content("#id_email_error")
    page.fill("#id_date_of_birth", "1988-04-12")
    page.fill("#id_email", "maya@example.com")
    page.click("button:has-text('Register')")
    assert "registered with MRN" in page.text_content(".messages")

    page.click("nav[aria-label=Main] >> text=Patients")
    page.fill("#id_q", "okon may")
    page.click("button:has-text('Search')")
    assert "1 patient match" in page.text_content("main")
    page.click("text=Okonkwo, Maya")
    assert page.text_content("h1").startswith("Okonkwo, Maya")
    assert "1988-04-12" in page.text_content("main")
    assert page.is_visible("text=Who may treat")
    page.click(".tabs >> text=Clinical record")
    assert page.is_visible("text=Record a consent")


def test_front_desk_cannot_open_the_clinical_record(world, page, log_in):
    log_in("alpha_desk")
    page.goto("/patients/")
    page.click("text=Archer, Alice")
    assert page.is_visible("text=Demographics")
    assert page.locator(".tabs >> text=Clinical record").count() == 0
    response = page.goto(f"/patients/{world.patient.pk}/clinical/")
    assert response.status == 403
    assert page.text_content("h1") == "Not allowed"


def test_a_practitioner_of_another_clinic_cannot_find_or_open_our_patient(world, page, log_in):
    log_in("beta_prac")
    page.goto("/patients/?q=Archer")
    assert "0 patients match" in page.text_content("main")
    response = page.goto(f"/patients/{world.patient.pk}/")
    assert response.status == 404


def test_the_patient_list_fits_a_phone_screen(world, page, log_in):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("alpha_desk")
    page.goto("/patients/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.goto(f"/patients/{world.patient.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_the_clinical_pages_fit_a_phone_screen(world, page, log_in):
    from tests.factories import make_signed_screening

    screening = make_signed_screening(world.patient, world.practitioner, needle_phobia=True)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("alpha_prac")
    for url in (f"/patients/{world.patient.pk}/clinical/",
                f"/patients/{world.patient.pk}/screenings/{screening.pk}/",
                f"/patients/{world.patient.pk}/episodes/new/",
                f"/patients/{world.patient.pk}/needling-check/", "/practitioners/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, url
