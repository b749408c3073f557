from __future__ import annotations

import pytest
from django.urls import reverse

from acuback.audit.models import AuditEvent
from tests.factories import make_patient


@pytest.fixture
def client_p(world, login):
    return login(world.practitioner)


def names(response):
    return [p.given_name for p in response.context["page"].object_list]


def test_search_by_start_of_names_in_any_order(world, client_p):
    make_patient(world.clinic, given_name="Anna", family_name="Smith")
    make_patient(world.clinic, given_name="Anne", family_name="Jones")
    assert names(client_p.get(reverse("patient_list"), {"q": "smi ann"})) == ["Anna"]


def test_search_by_mrn(world, client_p):
    make_patient(world.clinic, given_name="Mo", mrn="X-777")
    assert names(client_p.get(reverse("patient_list"), {"q": "x-777"})) == ["Mo"]


@pytest.mark.parametrize("q", ["1961-07-04", "07/04/1961"])
def test_search_by_date_of_birth(world, client_p, q):
    from datetime import date

    make_patient(world.clinic, given_name="Dee", date_of_birth=date(1961, 7, 4))
    assert names(client_p.get(reverse("patient_list"), {"q": q})) == ["Dee"]


def test_search_never_finds_another_clinics_patient(world, client_p):
    assert names(client_p.get(reverse("patient_list"), {"q": "Zed"})) == []
    assert names(client_p.get(reverse("patient_list"), {"q": world.outsider_patient.mrn})) == []


def test_the_list_is_paginated_with_a_bounded_number_of_queries(
    world, client_p, django_assert_max_num_queries
):
    for i in range(60):
        make_patient(world.clinic, family_name=f"Many{i:02d}")
    with django_assert_max_num_queries(14):  # incl. chained audit events
        response = client_p.get(reverse("patient_list"), {"page": 2})
    assert response.context["page"].number == 2
    assert len(response.context["page"].object_list) == 25


def test_a_page_number_out_of_range_shows_the_last_page(world, client_p):
    response = client_p.get(reverse("patient_list"), {"page": "999"})
    assert response.status_code == 200
    response = client_p.get(reverse("patient_list"), {"page": "abc"})
    assert response.status_code == 200


def test_a_search_is_audited_with_its_query(world, client_p):
    client_p.get(reverse("patient_list"), {"q": "Archer"})
    event = AuditEvent.objects.get(action="patient.search")
    assert event.detail["query"] == "Archer"
    assert event.clinic == world.clinic


def test_the_count_agrees_with_its_verb(world, client_p):
    """"1 patient matches", "2 patients match" (issue #28: "1 patient match")."""
    make_patient(world.clinic, given_name="Zed", family_name="Quill")
    make_patient(world.clinic, given_name="Zoe", family_name="Quill")
    one = client_p.get(reverse("patient_list"), {"q": "zed quill"}).content.decode()
    two = client_p.get(reverse("patient_list"), {"q": "quill"}).content.decode()
    assert "1 patient matches “zed quill”." in one
    assert "2 patients match “quill”." in two
