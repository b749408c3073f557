"""Issue #28 §4: registration finds likely duplicates (name and date of birth, e-mail,
phone) and offers the existing record; one rule, which online booking asks too."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from acuback.audit.models import AuditEvent
from acuback.patients.models import Patient
from acuback.patients.selectors import likely_duplicates
from tests.factories import make_clinic, make_patient

NEW = {"given_name": "Grace", "family_name": "Thompson", "date_of_birth": "1980-04-12",
       "email": "", "phone": "", "preferred_language": "English"}


@pytest.fixture
def desk(world, login):
    return login(world.front_desk)


@pytest.fixture
def grace(world):
    return make_patient(world.clinic, given_name="Grace", family_name="Thompson",
                        date_of_birth=date(1980, 4, 12), email="grace@example.com",
                        phone="+1 312 555 0100")


@pytest.mark.parametrize("same", [
    {},  # name and date of birth (in any case)
    {"given_name": "GRACE", "family_name": "thompson"},
    {"given_name": "G", "email": "Grace@Example.com"},
    {"given_name": "G", "phone": "+1 312 555 0100"},
])
def test_a_likely_duplicate_is_offered_and_nothing_is_saved(world, desk, grace, same):
    response = desk.post(reverse("patient_create"), {**NEW, **same})
    assert response.status_code == 200
    html = response.content.decode()
    assert "This may be a patient already registered" in html
    assert reverse("patient_chart", args=[grace.pk]) in html
    assert Patient.objects.filter(clinic=world.clinic, family_name__iexact="Thompson").count() == 1
    assert AuditEvent.objects.filter(action="patient.duplicate_offered", patient=grace).exists()


def test_the_desk_may_still_register_a_different_person(world, desk, grace):
    response = desk.post(reverse("patient_create"), {**NEW, "register_anyway": "on"})
    assert response.status_code == 302
    assert Patient.objects.filter(clinic=world.clinic, given_name="Grace").count() == 2


def test_no_one_alike_registers_at_once(world, desk, grace):
    response = desk.post(reverse("patient_create"), {**NEW, "date_of_birth": "1981-04-12"})
    assert response.status_code == 302


def test_another_clinics_patient_is_never_offered(world, desk):
    make_patient(make_clinic("Other"), given_name="Grace", family_name="Thompson",
                 date_of_birth=date(1980, 4, 12))
    assert desk.post(reverse("patient_create"), NEW).status_code == 302


def test_the_rule_is_the_one_online_booking_uses(world, grace):
    assert list(likely_duplicates(clinic=world.clinic, email="GRACE@example.com")) == [grace]
    assert list(likely_duplicates(clinic=world.clinic)) == []


def test_labels_are_in_words_and_required_fields_marked(world, desk):
    html = desk.get(reverse("patient_create")).content.decode()
    assert "Address line 1" in html and "line1" not in html.replace('name="address_line1"', "") \
        .replace('id="id_address_line1"', "").replace('for="id_address_line1"', "")
    assert 'for="id_given_name">Given name <span class="required">(required)</span>' in html
    assert 'for="id_email">E-mail</label>' in html  # optional: not marked


# One NANP number written the ways people write it (issue #28: "(503) 555-7159" was saved
# silently beside 5035557159).
def _phone_styles(area: str, exchange: str, line: str) -> list[str]:
    return [f"{area}{exchange}{line}", f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}",
            f"{area}.{exchange}.{line}", f"+1 {area} {exchange} {line}",
            f"1-{area}-{exchange}-{line}", f"+1 ({area}) {exchange}-{line}",
            f"1{area}{exchange}{line}", f" {area} {exchange} {line} "]


nanp = st.tuples(st.from_regex(r"[2-9][0-9]{2}", fullmatch=True),
                 st.from_regex(r"[2-9][0-9]{2}", fullmatch=True),
                 st.from_regex(r"[0-9]{4}", fullmatch=True))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=nanp, stored=st.integers(0, 8), typed=st.integers(0, 8))
def test_the_same_phone_number_in_any_format_is_a_likely_duplicate(world, grace, number,
                                                                   stored, typed):
    styles = _phone_styles(*number)
    Patient.objects.filter(pk=grace.pk).update(phone=styles[stored])
    assert list(likely_duplicates(clinic=world.clinic, phone=styles[typed])) == [grace]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=nanp, other=nanp, typed=st.integers(0, 8))
def test_a_different_phone_number_is_not_a_duplicate(world, grace, number, other, typed):
    assume(number != other)
    Patient.objects.filter(pk=grace.pk).update(phone=_phone_styles(*number)[0])
    assert list(likely_duplicates(clinic=world.clinic,
                                  phone=_phone_styles(*other)[typed])) == []


def test_a_reformatted_phone_is_offered_at_registration(world, desk):
    grace = make_patient(world.clinic, given_name="Grace", family_name="Thompson",
                         date_of_birth=date(1980, 4, 12), phone="5035557159")
    response = desk.post(reverse("patient_create"),
                         {**NEW, "given_name": "Gracie", "phone": "(503) 555-7159"})
    assert response.status_code == 200
    assert reverse("patient_chart", args=[grace.pk]) in response.content.decode()
