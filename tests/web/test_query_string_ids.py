"""Ids in query strings and posted fields follow the rule of ids in URL paths
(acuback/row_ids.py): ASCII digits, no leading zero, within a 64-bit key. `?session=01`,
`?patient=+5` and `?patient=٥` name no row: the answer is the one an unknown id gets
(issue #25 re-test). Before, each view read them with int(), which took all three as
the row."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

from django import forms
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuback.accounts.models import Practitioner
from acuback.digits import AsciiDigitsMixin
from acuback.row_ids import row_id
from tests.factories import make_appointment, make_session

UNKNOWN = "987654321"
NOT_A_NUMBER = "abc"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def padded(n: int) -> list[str]:
    """Ways of writing `n` that int() reads as n but that are not its canonical id."""
    return [f"0{n}", f"+{n}", f" {n}", f"{n} ", str(n).translate(ARABIC_INDIC), f"00{n}"]


def _same_page(text: str, value: str) -> str:
    """The page without what differs on every request and with the id as written."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    text = re.sub(r'data-csrf="[^"]*"', "", text)  # the calendar grid's drag-and-drop
    text = re.sub(r"nonce-[^\s\"';]+|nonce=\"[^\"]*\"", "", text)
    for form in sorted({value, html.escape(value), quote(value), quote_plus(value),
                        repr(value)[1:-1]}, key=len, reverse=True):
        if form.strip():  # as a token of its own, never inside a date or a longer number
            # (with a space of its own, not the one after a word: "Site 2 (")
            word_space = r"(?<![A-Za-z] )" if form != form.strip() else ""
            text = re.sub(rf"(?<![0-9A-Za-z٠-٩%+/.:-]){word_space}{re.escape(form)}"
                          rf"(?![0-9A-Za-z٠-٩/.:-])", " <ID> ", text)
    return re.sub(r"\s+", " ", text)


def _pages(world):
    """(who, path, parameter, the id of a row the parameter may name)."""
    appointment = make_appointment(world)
    session = make_session(world.patient, world.practitioner_record, world.location)
    from acuback.billing.models import Payer

    payer = Payer.objects.create(clinic=world.clinic, name="Acme Health")
    prac = world.practitioner_record.pk
    return [
        (world.admin, reverse("calendar_day"), "practitioner", prac),
        (world.admin, reverse("calendar_day"), "location", world.location.pk),
        (world.admin, reverse("calendar_week"), "practitioner", prac),
        (world.front_desk, reverse("appointment_book"), "patient", world.patient.pk),
        (world.front_desk, reverse("appointment_book"), "location", world.location.pk),
        (world.front_desk, reverse("appointment_move", args=[appointment.pk]), "practitioner",
         prac),
        (world.practitioner, reverse("adverse_event_new", args=[world.patient.pk]), "session",
         session.pk),
        (world.admin, reverse("claim_export"), "payer", payer.pk),
        (world.admin, reverse("insights_dashboard"), "practitioner", prac),
    ]


def test_a_padded_id_in_a_query_string_is_an_unknown_id(world, login):
    for user, path, name, pk in _pages(world):
        client = login(user)
        # The answers of an id that names nothing: an unknown number, or no number at all.
        nothing = {_same_page(client.get(path, {name: text}).content.decode(), text)
                   for text in (UNKNOWN, NOT_A_NUMBER)}
        assert client.get(path, {name: str(pk)}).status_code < 500
        for value in padded(pk):
            response = client.get(path, {name: value})
            assert response.status_code < 500, (path, name, value)
            if value != value.strip():
                # a page may echo the text with its spaces; that it names no row is
                # checked by the rule itself (test_row_id_is_the_rule)
                continue
            assert _same_page(response.content.decode(), value) in nothing, (path, name, value)


def test_a_padded_id_in_a_posted_field_names_no_row(world, login):
    """The portal's consent withdrawal and booking, the desk's booking of a "next
    available" slot: a padded id is refused as an unknown one."""
    from acuback.patients.models import Consent

    consent = Consent.objects.filter(patient=world.patient).first()
    client = login(world.patient_user)
    if consent is not None:
        for value in padded(consent.pk):
            response = client.post(reverse("portal_consents"), {"withdraw": value})
            assert response.status_code == 404, value
    for value in padded(world.practitioner_record.pk):
        response = client.post(reverse("portal_book"), {
            "location": world.location.pk, "practitioner": value, "start": "x"})
        assert response.status_code in (400, 404), value


class _Chooser(AsciiDigitsMixin, forms.Form):
    practitioner = forms.ModelChoiceField(Practitioner.objects.all())
    others = forms.ModelMultipleChoiceField(Practitioner.objects.all(), required=False)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(way=st.sampled_from(range(6)))
def test_a_form_refuses_a_padded_choice_like_an_unknown_one(world, way):
    pk = world.practitioner_record.pk
    value = padded(pk)[way]
    assert _Chooser({"practitioner": str(pk)}).is_valid()
    assert not _Chooser({"practitioner": value}).is_valid()
    assert not _Chooser({"practitioner": str(pk), "others": [value]}).is_valid()


def test_the_json_api_refuses_a_padded_id(world, login):
    from acuback.scheduling.models import AppointmentType

    kind = AppointmentType.objects.create(clinic=world.clinic, name="Follow-up",
                                          kind="follow_up", duration_minutes=45)
    client = login(world.admin)
    ids = {"practitioner_id": world.practitioner_record.pk, "location_id": world.location.pk,
           "type_id": kind.pk}
    asked = {**ids, "day": "2026-01-05"}
    assert client.get("/api/slots", asked).status_code == 200
    for name, pk in ids.items():
        for value in padded(pk):
            response = client.get("/api/slots", {**asked, name: value})
            assert 400 <= response.status_code < 500, (name, value)


SOURCE = Path(__file__).resolve().parents[2] / "src" / "acuback"
# A parameter read with int_or is a number, never a row: these are the only ones.
NUMBERS_NOT_IDS = {"version"}


def test_no_view_reads_an_id_parameter_with_int():
    """Every id read from GET or POST goes through row_ids.row_id; int(), int_or() and
    ascii_int() take "01", "+5" and " 5" as 5."""
    found = []
    pattern = re.compile(r"\b(?:int_or|int|ascii_int)\(\s*(?:request\.)?(?:GET|POST|data|source"
                         r"|self\.data)?[^)]*?\.get\(\s*[\"'](\w+)[\"']|\b(?:int_or|int|ascii_int)"
                         r"\(\s*request\.(?:GET|POST)\[\s*[\"'](\w+)[\"']")
    for path in SOURCE.rglob("*.py"):
        for match in pattern.finditer(path.read_text()):
            name = match.group(1) or match.group(2)
            if name not in NUMBERS_NOT_IDS:
                found.append(f"{path.relative_to(SOURCE)}: {match.group(0)}")
    # int_or reads numbers only (a stale or mangled number falls back to a default)
    for path in SOURCE.rglob("*.py"):
        for match in re.finditer(r"(?<!def )\bint_or\(([^,]*),", path.read_text()):
            if not any(name in match.group(1) for name in NUMBERS_NOT_IDS):
                found.append(f"{path.relative_to(SOURCE)}: {match.group(0)}")
    assert found == []


def test_row_id_is_the_rule():
    assert row_id("5") == 5
    assert all(row_id(v) is None for v in padded(5))
