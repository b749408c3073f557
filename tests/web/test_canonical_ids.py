"""Ids in URLs are canonical or name nothing (issue #25 re-test, point 4): ``<int:pk>``
read /patients/01/ as patient 1. One converter (``<id:>``, acuback.row_ids) is registered
once and used by every URL pattern of the web pages and the JSON API; FHIR reads its ids
with the same rule (row_ids.row_id)."""

from __future__ import annotations

import re

import pytest
from django.urls import URLResolver, get_resolver
from django.urls.converters import IntConverter
from hypothesis import given
from hypothesis import strategies as st

from acuback.row_ids import MAX_ROW_ID, CanonicalId, row_id
from tests.web.test_access_matrix import MATRIX

# Parameters named like ids that are not row ids, and where they may be text.
NOT_ROW_IDS = {"instrument_id"}  # an instrument's code ("odi"), not a row
# FHIR takes its ids as text and answers a non-canonical one with an OperationOutcome
# (the same rule, row_ids.row_id: tests/interop/test_ids_and_numbers.py).
TEXT_IDS_CHECKED_BY_ROW_ID = ("fhir/",)


def _patterns(resolver=None, prefix=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def _names_a_row(name: str) -> bool:
    return name not in NOT_ROW_IDS and (name == "pk" or name.endswith(("_pk", "_id", "id")))


def test_no_url_pattern_reads_an_id_with_int():
    """Walks the URL resolver (web pages, the JSON API, FHIR): any ``int`` fails, and so
    does any row id taken as text outside FHIR. The Django admin (platform operators only,
    Django's own patterns) is outside."""
    wrong = []
    for route, pattern in _patterns():
        if route.startswith("admin/"):
            continue
        for name, converter in getattr(pattern.pattern, "converters", {}).items():
            if isinstance(converter, IntConverter):
                wrong.append(f"{route}: <int:{name}>")
            elif (_names_a_row(name) and not isinstance(converter, CanonicalId)
                  and not route.startswith(TEXT_IDS_CHECKED_BY_ROW_ID)):
                wrong.append(f"{route}: {name} is not <id:{name}>")
    assert not wrong, wrong
    # The walk sees the JSON API's patterns too (django-ninja builds them).
    assert any(route.startswith("api/") and "<id:patient_id>" in route
               for route, _ in _patterns())


@given(st.integers(min_value=1, max_value=MAX_ROW_ID))
def test_a_canonical_id_names_its_row_and_a_padded_one_nothing(number):
    text = str(number)
    assert row_id(text) == number
    assert CanonicalId().to_python(text) == number and CanonicalId().to_url(number) == text
    for other in ("0" + text, "00" + text, "+" + text, " " + text, text + " ", text + ".0"):
        assert row_id(other) is None
        assert not re.fullmatch(CanonicalId.regex, other) or row_id(other) is None


@given(st.text(max_size=25))
def test_any_text_names_a_row_only_as_its_canonical_form(text):
    number = row_id(text)
    assert number is None or (str(number) == text and 0 < number <= MAX_ROW_ID)
    matches = re.fullmatch(CanonicalId.regex, text) is not None
    assert (number is not None) <= matches  # the converter's regex is never narrower


def test_ids_beyond_a_64_bit_key_name_nothing():
    assert row_id(str(MAX_ROW_ID + 1)) is None and row_id("9" * 19) is None
    with pytest.raises(ValueError):
        CanonicalId().to_python(str(MAX_ROW_ID + 1))


def _padded_variants(url: str):
    """The URL with one of its id segments written with a leading zero, for each one."""
    parts = url.split("/")
    for i, part in enumerate(parts):
        if part.isascii() and part.isdigit():
            yield "/".join([*parts[:i], "0" + part, *parts[i + 1:]])


# Every named page of the access matrix whose URL holds an id: as the clinic admin (and the
# patient, for the portal's pages), the canonical URL opens and a padded one is 404.
WITH_IDS = sorted(name for name in MATRIX if not name.startswith(("fhir", "admin")))


@pytest.mark.parametrize("name", WITH_IDS)
def test_a_padded_id_names_nothing_on_every_page(name, world_with_consent, login):
    build, method, expected = MATRIX[name]
    w = world_with_consent
    role = "clinic_admin" if expected.get("clinic_admin") not in (403, 404) else "patient"
    url = build(w)
    variants = list(_padded_variants(url))
    if not variants:
        pytest.skip(f"{url} names no row")
    client = login(w.user_for(role))
    for padded in variants:
        response = getattr(client, method)(padded)
        assert response.status_code == 404, (name, padded, response.status_code)


def test_the_json_api_refuses_a_padded_patient_id(world_with_consent, login):
    w = world_with_consent
    client = login(w.admin)
    assert client.get(f"/api/patients/{w.patient.pk}/scores").status_code == 200
    assert client.get(f"/api/patients/0{w.patient.pk}/scores").status_code == 404
    assert client.get(f"/api/patients/{'9' * 25}/scores").status_code == 404
