"""The CMS NCD 30.3.3 diagnosis list is loaded from CMS's own file by the clinic admin
(issue #29 §1: "keep the NCD's list of covered diagnoses as data with its source"). Before,
only the demo's stand-in existed and no page could load a real list: every Medicare line
of a real clinic stayed held."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from acuback.accounts.zones import today_at
from acuback.audit.models import AuditEvent
from acuback.billing import ncd_list
from acuback.billing.models import Payer

CSV = (b"NCD 30.3.3 Acupuncture for cLBP,,\r\nICD-10 Code,Description,Effective\r\n"
       b"M54.50,Low back pain unspecified,2022-01-01\r\nM5451,Vertebrogenic low back pain,\r\n"
       b"G89.29,Other chronic pain,\r\nM54,Dorsalgia (a header),\r\n")


@pytest.fixture
def medicare(world):
    return Payer.objects.create(clinic=world.clinic, name="Medicare Part B", kind="medicare")


def _post(client, payer, data: bytes, name="ncd30.3.3.csv", **fields):
    form = {"source_address": "https://www.cms.gov/medicare/coverage/coding-ncd",
            "published": "2026-10-01", **fields,
            "file": SimpleUploadedFile(name, data)}
    return client.post(reverse("clinic_payer_ncd_list", args=[payer.pk]), form)


def test_the_admin_loads_the_billable_codes_of_cms_file_with_its_source(world, medicare,
                                                                       login):
    admin = login(world.admin)
    page = admin.get(reverse("clinic_row_edit", args=["payers", medicare.pk]))
    assert reverse("clinic_payer_ncd_list", args=[medicare.pk]) in page.content.decode()
    refused = _post(admin, medicare, CSV)
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "M54 is a category header" in text and "leave_out_refused" in text
    medicare.refresh_from_db()
    assert medicare.covered_diagnoses is None  # nothing until the admin has seen the list
    loaded = _post(admin, medicare, CSV, leave_out_refused="on")
    assert loaded.status_code == 302
    medicare.refresh_from_db()
    assert medicare.covered_diagnoses == ["G89.29", "M54.50", "M54.51"]
    assert "ncd30.3.3.csv from https://www.cms.gov/" in medicare.covered_diagnoses_source
    assert "published 2026-10-01" in medicare.covered_diagnoses_source
    event = AuditEvent.objects.get(action="payer.ncd_list_load")
    assert event.detail["codes"] == 3 and event.detail["left_out"] == 1


def test_an_excel_file_as_cms_publishes_it_loads_too(world, medicare, login):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["ICD-10-CM", "Description"])
    sheet.append(["M54.59", "Other low back pain"])
    sheet.append(["M47.816", "Spondylosis without myelopathy, lumbar region"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = _post(login(world.admin), medicare, buffer.getvalue(), name="ncd.xlsx")
    assert response.status_code == 302
    medicare.refresh_from_db()
    assert medicare.covered_diagnoses == ["M47.816", "M54.59"]


@pytest.mark.parametrize("fields, data, field", [
    ({}, b"ICD-10 Code,Description\r\nlow back pain,none\r\n", "file"),
    ({"source_address": "http://example.org/list"}, CSV, "source_address"),
    ({"published": "2999-01-01"}, CSV, "published"),
    ({}, b"PK\x03\x04 not really a spreadsheet", "file"),
])
def test_a_wrong_file_or_source_is_refused_naming_the_field(world, medicare, login, fields,
                                                            data, field):
    response = _post(login(world.admin), medicare, data, leave_out_refused="on", **fields)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    medicare.refresh_from_db()
    assert medicare.covered_diagnoses is None


def test_only_a_medicare_payer_takes_the_list(world, login):
    commercial = Payer.objects.create(clinic=world.clinic, name="Acme", kind="commercial")
    response = _post(login(world.admin), commercial, CSV, leave_out_refused="on")
    assert response.status_code == 400 and "file" in response.context["form"].errors


def test_only_the_clinics_admin_loads_its_payers_list(world, medicare, login):
    url = reverse("clinic_payer_ncd_list", args=[medicare.pk])
    assert login(world.front_desk).get(url).status_code == 403
    assert login(world.practitioner).get(url).status_code == 403
    assert login(None).get(url).status_code == 302
    from tests.factories import Role, make_user

    other_admin = make_user(world.outsider.memberships.first().clinic, Role.CLINIC_ADMIN,
                            "beta_admin")
    assert login(other_admin).get(url).status_code == 404


@given(st.lists(st.sampled_from(["M54.50", "M5450", "m54.50", " M54.50 ", "G89.29",
                                 "Low back pain", "2026-01-01", "M54", "", "L4", "T12"]),
                min_size=1, max_size=12))
def test_only_cells_that_are_one_code_count_and_every_loaded_code_is_billable(cells):
    data = ("\r\n".join(cells)).encode()
    try:
        listed = ncd_list.read("list.csv", data)
    except Exception:  # no code cell at all: refused, nothing loaded
        assert not any(c.strip().upper().replace(".", "") in ("M5450", "G8929", "M54")
                       for c in cells)
        return
    assert set(listed.codes) <= {"M54.50", "G89.29"}
    assert all(ncd_list.diagnoses.is_billable(code) for code in listed.codes)
    assert len(listed.codes) == len(set(listed.codes))


def test_a_published_date_of_today_in_the_clinic_is_accepted(world, medicare, login):
    today = today_at(world.clinic)
    response = _post(login(world.admin), medicare, CSV, leave_out_refused="on",
                     published=today.isoformat())
    assert response.status_code == 302
    assert today - timedelta(days=1) < date.fromisoformat(
        medicare.__class__.objects.get(pk=medicare.pk).covered_diagnoses_source.rsplit(
            "published ", 1)[1][:10]) <= today
