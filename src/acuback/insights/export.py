"""De-identified research export: CSV files in a zip, with a data dictionary.

Direct identifiers are removed; each patient gets a pseudonym and a secret date
shift (both derived from the deployment's secret key with HMAC, so they are
stable across exports and cannot be recomputed without the key); ages over 89
are grouped as "90+"; free text is dropped. With the optional ``parquet`` extra
(pyarrow) installed, each table is also written as Parquet.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import zipfile
from datetime import date, timedelta

from django.conf import settings

from acuback.outcomes.models import QuestionnaireResponse
from acuback.patients.models import EpisodeOfCare
from acuback.treatment.models import AdverseEvent, Insertion, Session, SessionStatus
from acuback.web.csv_cells import csv_writer

MAX_SHIFT_DAYS = 180


def _digest(kind: str, patient_id: int) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{patient_id}".encode(),
                    hashlib.sha256).digest()


def pseudonym(patient_id: int) -> str:
    return "P" + _digest("id", patient_id).hex()[:12]


def shift(patient_id: int) -> timedelta:
    value = int.from_bytes(_digest("shift", patient_id)[:4], "big")
    return timedelta(days=value % (2 * MAX_SHIFT_DAYS + 1) - MAX_SHIFT_DAYS)


def _shifted(day: date | None, patient_id: int) -> str:
    return "" if day is None else (day + shift(patient_id)).isoformat()


def _age(dob: date, on: date) -> str:
    age = on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
    return "90+" if age > 89 else str(age)


DICTIONARY = [
    ("episodes", "patient", "pseudonym, stable per patient"),
    ("episodes", "episode", "episode number within the export"),
    ("episodes", "age_at_onset", "years; 90+ for older"),
    ("episodes", "sex_at_birth", "as recorded"),
    ("episodes", "onset_date", "shifted by the patient's secret offset (±180 days)"),
    ("episodes", "cause, radiating_leg_pain, related_to_surgery, related_to_pregnancy",
     "as recorded"),
    ("episodes", "diagnosis_codes", "ICD-10-CM, ';'-separated"),
    ("episodes", "status", "open, on_hold, discharged"),
    ("sessions", "session_date", "shifted"),
    ("sessions", "pain_before, pain_after", "NRS 0–10"),
    ("sessions", "needles_inserted, needles_removed, electroacupuncture, cpt_codes",
     "as recorded at signing"),
    ("needling", "point_code, side, depth_mm, gauge_mm, length_mm, material, stimulation, "
     "frequency_hz, retention_minutes", "per needle site (STRICTA 2b–2g)"),
    ("outcomes", "instrument, time_point, total, band, scorer_version, submitted_date",
     "current submitted responses; date shifted"),
    ("adverse_events", "type, severity, causality, reporter, onset_date, outcome",
     "date shifted; descriptions dropped"),
]


def build_zip(*, clinic_ids: list[int], on: date) -> bytes:
    episodes = list(EpisodeOfCare.objects.filter(patient__clinic_id__in=clinic_ids)
                    .select_related("patient").order_by("pk"))
    numbers = {e.pk: n for n, e in enumerate(episodes, 1)}
    files: dict[str, list[list]] = {
        "episodes.csv": [["patient", "episode", "age_at_onset", "sex_at_birth", "onset_date",
                          "cause", "radiating_leg_pain", "related_to_surgery",
                          "related_to_pregnancy", "diagnosis_codes", "status"]],
        "sessions.csv": [["patient", "episode", "session", "session_date", "pain_before",
                          "pain_after", "needles_inserted", "needles_removed",
                          "electroacupuncture", "cpt_codes"]],
        "needling.csv": [["session", "needle_set", "point_code", "side", "depth_mm", "gauge_mm",
                          "length_mm", "material", "response_sought", "response_obtained",
                          "stimulation", "frequency_hz", "retention_minutes"]],
        "outcomes.csv": [["patient", "episode", "instrument", "time_point", "total", "band",
                          "scorer_version", "submitted_date"]],
        "adverse_events.csv": [["patient", "session", "type", "severity", "causality",
                                "reporter", "onset_date", "outcome"]],
    }
    for e in episodes:
        p = e.patient
        files["episodes.csv"].append([
            pseudonym(p.pk), numbers[e.pk], _age(p.date_of_birth, e.onset_date),
            p.sex_at_birth, _shifted(e.onset_date, p.pk), e.cause, e.radiating_leg_pain,
            e.related_to_surgery, e.related_to_pregnancy, ";".join(e.diagnosis_codes),
            e.status])
    sessions = list(Session.objects.filter(patient__clinic_id__in=clinic_ids,
                                           status=SessionStatus.SIGNED).order_by("pk"))
    session_numbers = {s.pk: n for n, s in enumerate(sessions, 1)}
    for s in sessions:
        files["sessions.csv"].append([
            pseudonym(s.patient_id), numbers.get(s.episode_id, ""), session_numbers[s.pk],
            _shifted(s.session_date, s.patient_id), s.pain_before, s.pain_after,
            s.needles_inserted, s.needles_removed, s.electroacupuncture,
            ";".join(f"{k}x{v}" for k, v in sorted(s.cpt_codes.items()))])
    for i in Insertion.objects.filter(session__in=sessions).order_by("session_id", "pk"):
        files["needling.csv"].append([
            session_numbers[i.session_id], i.needle_set, i.point_code or "ASHI", i.side,
            i.depth_mm, i.gauge_mm, i.length_mm, i.material, i.response_sought,
            i.response_obtained, i.stimulation, i.frequency_hz or "", i.retention_minutes])
    for r in (QuestionnaireResponse.objects.current()
              .filter(patient__clinic_id__in=clinic_ids).order_by("pk")):
        files["outcomes.csv"].append([
            pseudonym(r.patient_id), numbers.get(r.episode_id, ""), r.instrument, r.time_point,
            "" if r.total is None else r.total, r.band, r.scorer_version,
            _shifted(r.submitted_at.date(), r.patient_id)])
    for a in AdverseEvent.objects.filter(patient__clinic_id__in=clinic_ids).order_by("pk"):
        files["adverse_events.csv"].append([
            pseudonym(a.patient_id), session_numbers.get(a.session_id, ""), a.type, a.severity,
            a.causality, a.reporter, _shifted(a.onset_at.date(), a.patient_id), a.outcome])
    files["data_dictionary.csv"] = [["file", "columns", "meaning"], *DICTIONARY]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in files.items():
            text = io.StringIO()
            csv_writer(text).writerows(rows)
            archive.writestr(name, text.getvalue())
            parquet = _parquet(rows)
            if parquet is not None:
                archive.writestr(name.replace(".csv", ".parquet"), parquet)
    return buffer.getvalue()


def _parquet(rows: list[list]) -> bytes | None:
    """The table as Parquet, each column typed when its values agree (else text);
    None when pyarrow is not installed."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    header, body = rows[0], rows[1:]
    columns = {}
    for n, name in enumerate(header):
        values = [None if row[n] == "" else row[n] for row in body]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns[name] = pa.array([None if v is None else str(v) for v in values],
                                     type=pa.string())
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns) if body else
                   pa.table({name: pa.array([], type=pa.string()) for name in header}), buffer)
    return buffer.getvalue()
