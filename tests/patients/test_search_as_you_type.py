"""Issue #28 §2: find a patient as you type (name, date of birth, MRN, phone, e-mail),
as JSON for the booking page and as a plain search form without JavaScript."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from acuback.audit.models import AuditEvent
from acuback.patients.selectors import PHONE_MIN_DIGITS, phone_digits
from acuback.scheduling.models import AppointmentType
from tests.factories import make_patient


@pytest.fixture
def grace(world):
    return make_patient(world.clinic, given_name="Grace", family_name="Thompson",
                        date_of_birth=date(1971, 5, 9), mrn="G-4411",
                        phone="+1 (503) 555-0199", email="Grace.T@Example.org")


def found(client, q):
    response = client.get(reverse("patient_search_json"), {"q": q})
    assert response.status_code == 200
    return [r["name"] for r in response.json()["results"]]


@pytest.mark.parametrize("q", ["thom gra", "1971-05-09", "05/09/1971", "g-44", "503 555 0199",
                               "(503) 555-0199", "5550199", "grace.t@example", "GRACE.T@EXAMPLE.ORG"])
def test_the_front_desk_finds_a_patient_by_any_of_the_five(world, grace, login, q):
    assert found(login(world.front_desk), q) == ["Grace Thompson"]


def test_the_search_keeps_to_the_users_clinic_and_is_audited(world, grace, login):
    world.outsider_patient.phone = "+1 503 555 0199"
    world.outsider_patient.save()
    client = login(world.front_desk)
    assert found(client, "503-555-0199") == ["Grace Thompson"]
    assert found(login(world.outsider), "503-555-0199") == ["Zed Zimmer"]
    event = AuditEvent.objects.filter(action="patient.search").order_by("pk").first()
    assert event.detail["query"] == "503-555-0199" and event.detail["shown"] == 1


def test_a_patient_cannot_search_and_bad_input_names_the_field(world, login):
    assert login(world.patient_user).get(reverse("patient_search_json"),
                                         {"q": "a"}).status_code == 403
    response = login(world.front_desk).get(reverse("patient_search_json"), {"q": "x" * 101})
    assert response.status_code == 400 and "q" in response.json()["errors"]


def test_the_booking_page_finds_without_javascript_and_lists_no_drop_down(world, grace, login):
    AppointmentType.objects.create(clinic=world.clinic, name="Follow-up", kind="follow_up",
                                   duration_minutes=45)
    for n in range(30):
        make_patient(world.clinic, given_name=f"Other{n}", family_name="Person")
    client = login(world.front_desk)
    page = client.get(reverse("appointment_book"),
                      {"patient_q": "thompson", "location": world.location.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Other7" not in html and '<select name="patient"' not in html
    assert f"patient={grace.pk}" in html and f"location={world.location.pk}" in html
    chosen = client.get(reverse("appointment_book"), {"patient": grace.pk})
    assert "Grace Thompson" in chosen.content.decode()


separators = st.sampled_from([" ", "-", ".", "(", ")", "/"])


@given(st.lists(st.tuples(st.sampled_from("0123456789"), st.lists(separators, max_size=2)),
                min_size=PHONE_MIN_DIGITS, max_size=15), st.booleans())
def test_a_typed_phone_number_is_its_digits(parts, plus):
    text = ("+" if plus else "") + "".join(d + "".join(s) for d, s in parts)
    assert phone_digits(text) == "".join(d for d, _ in parts)


@given(st.text(min_size=1, max_size=20))
def test_text_with_a_letter_is_never_a_phone_number(text):
    if any(c.isalpha() for c in text):
        assert phone_digits(text) is None
