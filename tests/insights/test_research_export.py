"""The de-identified export leaks no direct identifier."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from django.urls import reverse
from django.utils import timezone

from acuback import signing
from acuback.audit.models import AuditEvent
from acuback.insights.export import MAX_SHIFT_DAYS, pseudonym, shift
from acuback.outcomes import services as outcomes
from acuback.treatment.models import Session
from tests.factories import make_adverse_event, make_episode, make_session, request_for


def test_the_export_has_no_name_mrn_email_phone_or_birth_date(world, login):
    patient = world.patient
    patient.email, patient.phone = "alice.archer@example.com", "+1 312 555 0142"
    patient.date_of_birth = date(1931, 2, 3)  # over 89: the age is grouped
    patient.save()
    episode = make_episode(patient, world.practitioner, diagnosis_codes=["M54.50"],
                           goals="Alice wants to garden again")
    session = make_session(patient, world.practitioner_record, world.location, episode=episode,
                           subjective="Alice Archer says her back is better")
    with signing.signing():  # arranging data signed earlier
        Session.objects.filter(pk=session.pk).update(status="signed", signed_at=timezone.now())
    outcomes.response_save(patient=patient, episode=episode, instrument_id="nrs",
                           time_point="baseline", answers={1: 6}, submit=True,
                           completed_by="staff", request=request_for(world.practitioner))
    make_adverse_event(patient, world.practitioner, description="Alice fainted")

    response = login(world.admin).get(reverse("research_export"))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    tables = {"episodes", "sessions", "needling", "outcomes", "adverse_events",
              "data_dictionary"}
    assert set(archive.namelist()) == {f"{t}.{kind}" for t in tables
                                       for kind in ("csv", "parquet")}
    everything = " ".join(archive.read(f"{t}.csv").decode() for t in tables)
    everything += " ".join(str(_parquet(archive.read(f"{t}.parquet")).to_pylist())
                           for t in tables)
    for secret in ("Alice", "Archer", patient.mrn, "alice.archer@example.com",
                   "555 0142", "1931-02-03", "garden", "fainted"):
        assert secret not in everything, secret
    assert pseudonym(patient.pk) in everything and "90+" in everything
    assert AuditEvent.objects.filter(action="insights.research_export").exists()


def _parquet(data: bytes):
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(data))


def test_parquet_tables_match_the_csv_with_typed_columns(world):
    from acuback.insights.export import build_zip

    episode = make_episode(world.patient, world.practitioner)
    outcomes.response_save(patient=world.patient, episode=episode, instrument_id="nrs",
                           time_point="baseline", answers={1: 6}, submit=True,
                           completed_by="staff", request=request_for(world.practitioner))
    archive = zipfile.ZipFile(io.BytesIO(build_zip(clinic_ids=[world.clinic.pk],
                                                   on=timezone.localdate())))
    table = _parquet(archive.read("outcomes.parquet"))
    assert table.num_rows == 1 and table.column("total").to_pylist() == [6]
    assert str(table.schema.field("total").type) in {"int64", "double"}
    assert table.column("patient").to_pylist() == [pseudonym(world.patient.pk)]


def test_without_pyarrow_the_export_is_csv_only(world, monkeypatch):
    import builtins

    from acuback.insights.export import build_zip

    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    archive = zipfile.ZipFile(io.BytesIO(build_zip(clinic_ids=[world.clinic.pk],
                                                   on=timezone.localdate())))
    assert all(n.endswith(".csv") for n in archive.namelist())


def test_the_date_shift_is_stable_bounded_and_differs_between_patients():
    shifts = {shift(pk).days for pk in range(1, 200)}
    assert all(abs(d) <= MAX_SHIFT_DAYS for d in shifts) and len(shifts) > 50
    assert shift(7) == shift(7) and pseudonym(7) == pseudonym(7) != pseudonym(8)
