"""A deterministic synthetic clinic network for scale tests and benchmarks.

`acuback generate-synthetic --patients N --clinics K --seed S`: the same arguments give
the same data. Rows are written in batches, with COPY on PostgreSQL and bulk inserts on
SQLite (no audit events, no notifications: this is load, not history). Distributions:

- clinics with 1-3 locations and one practitioner per ~400 patients (at least 2), each
  with a current licence for the location's state;
- one episode per patient (15 % have a second, earlier and discharged); 70 % chronic;
- 6-12 weekly sessions per episode, 4-10 needle sites each (WHO codes common in back
  pain), CPT codes from the session's needle sets;
- NRS and ODI at baseline, review (after session 4) and discharge, 3-month follow-up
  for 60 %; about half the episodes improve by 30-70 %, the rest by -10 to 25 % (the
  non-responders), with noise; PHQ-2 at baseline;
- one completed appointment per session, and a booked one in the coming two weeks
  for 10 % of patients;
- adverse events at the published rates per session (White 2001: 68.4 of any kind
  and 1.4 significant per 1,000; serious ones at Bäumler 2021's 0.008 per 1,000).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from acuback import signing
from acuback.clinical import cpt
from acuback.clinical import points as catalogue
from acuback.clinical.instruments import SCORER_VERSION

POINTS = ("BL23", "BL25", "BL52", "GV4", "GV3", "GB30", "GB34", "BL40", "BL60", "KI3",
          "ST36", "SP6", "LI4", "LR3", "BL26", "GB25")
STATES = (("US-OR", "Portland", "OR", "America/Los_Angeles"),
          ("US-WA", "Seattle", "WA", "America/Los_Angeles"),
          ("US-IL", "Chicago", "IL", "America/Chicago"),
          ("US-NY", "New York", "NY", "America/New_York"),
          ("US-CO", "Denver", "CO", "America/Denver"))
GIVEN = ("Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon",
         "Kemi", "Liam", "Maya", "Noah", "Olu", "Priya", "Quinn", "Rosa", "Sam", "Tara")
FAMILY = ("Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
          "Jones", "Khan", "Lopez", "Moore", "Nguyen", "Okafor", "Patel", "Quist", "Rossi",
          "Smith", "Tanaka", "Usman", "Vargas", "Wong", "Young", "Zhou")
AE_PER_1000 = (("minor", 68.4 - 1.4), ("needed_treatment", 1.4), ("serious", 0.008))
BATCH = 1000  # patients per transaction


@dataclass
class Report:
    clinics: int = 0
    patients: int = 0
    episodes: int = 0
    sessions: int = 0
    insertions: int = 0
    responses: int = 0
    appointments: int = 0
    adverse_events: int = 0


def generate(*, patients: int, clinics: int, seed: int, today: date | None = None,
             progress=None) -> Report:
    from acuback.accounts.models import Clinic

    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security  # nosec
    today = today or timezone.localdate()
    report = Report()
    first = Clinic.objects.count()
    per_clinic = [patients // clinics + (1 if k < patients % clinics else 0)
                  for k in range(clinics)]
    for k, count in enumerate(per_clinic):
        network = _clinic(first + k, rng, count, seed)
        report.clinics += 1
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            # Synthetic notes arrive signed, as a clinic's history would.
            with transaction.atomic(), signing.signing():
                _patients(network, size, done, rng, today, report)
            done += size
            if progress:
                progress(report)
    return report


@dataclass
class Network:
    clinic: object
    locations: list
    practitioners: list  # (practitioner, location)
    admin: object
    type_: object
    tz: ZoneInfo
    taken: set = field(default_factory=set)  # (practitioner id, start) of its visits


def _clinic(n: int, rng: random.Random, count: int, seed: int) -> Network:
    from acuback.accounts.models import (
        Clinic,
        Credential,
        Location,
        Membership,
        Practitioner,
        Role,
        User,
    )
    from acuback.scheduling.models import AppointmentType

    state = STATES[n % len(STATES)]
    clinic = Clinic.objects.create(name=f"Synthetic Clinic {n + 1}",
                                   slug=f"synthetic-{seed}-{n + 1}", time_zone=state[3])
    admin = User.objects.create_user(f"synth{seed}_{n + 1}_admin", password=None)
    Membership.objects.create(user=admin, clinic=clinic, role=Role.CLINIC_ADMIN)
    locations = [Location.objects.create(
        clinic=clinic, name=f"Site {k + 1}", address_line1=f"{100 + k} Main St",
        city=state[1], region=state[2], jurisdiction=state[0], time_zone=state[3])
        for k in range(1 + rng.randrange(3))]
    practitioners = []
    for k in range(max(2, count // 400)):
        user = User.objects.create_user(f"synth{seed}_{n + 1}_prac{k + 1}", password=None)
        Membership.objects.create(user=user, clinic=clinic, role=Role.PRACTITIONER)
        p = Practitioner.objects.create(clinic=clinic, user=user, profession="acupuncturist",
                                        display_name=f"{rng.choice(GIVEN)} "
                                                     f"{rng.choice(FAMILY)}, L.Ac.")
        Credential.objects.create(practitioner=p, kind="licence", issuer="State board",
                                  number=f"L{n}{k:04d}", jurisdiction=state[0],
                                  issued_on=date(2015, 1, 1), expires_on=date(2035, 1, 1))
        practitioners.append((p, locations[k % len(locations)]))
    type_ = AppointmentType.objects.create(clinic=clinic, name="Follow-up", kind="follow_up",
                                           duration_minutes=45, buffer_minutes=15)
    return Network(clinic, locations, practitioners, admin, type_, ZoneInfo(state[3]))


def _insert(model, rows: list[dict], *, with_ids: bool = False) -> None:
    """Write rows given as {attname: value}; the fields left out take their defaults. With
    `with_ids`, each row gets its primary key as "id" (the needle rows refer to sessions).

    On PostgreSQL through COPY: building multi-row INSERTs (Django's compiler and psycopg's
    array dumping in Python) was two thirds of the generator's time. Elsewhere bulk_create.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        created = model.objects.bulk_create((model(**row) for row in rows), batch_size=5000)
        if with_ids:
            for row, instance in zip(rows, created, strict=True):
                row["id"] = instance.pk
        return
    if with_ids:  # taken from the table's sequence, as an INSERT would
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                           "FROM generate_series(1, %s)", [model._meta.db_table, len(rows)])
            for row, (pk,) in zip(rows, sorted(cursor.fetchall()), strict=True):
                row["id"] = pk
    fields = [f for f in model._meta.local_concrete_fields
              if not (f.primary_key and not with_ids)]
    # Each default is taken once per call: none of the models written here has a per-row
    # unique default (a token, a UUID), which this would repeat.
    now = timezone.now()
    defaults = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        else:
            defaults[f.attname] = f.get_db_prep_save(f.get_default(), connection)
    # JSON given in a row is wrapped as Django would; psycopg writes the rest as it is.
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) "  # noqa: S608 - names from the model
            "FROM STDIN") as copy:
        for row in rows:
            values = []
            for f in fields:
                if f.attname not in row:
                    values.append(defaults[f.attname])
                elif f.attname in json_fields:
                    values.append(f.get_db_prep_save(row[f.attname], connection))
                else:
                    values.append(row[f.attname])
            copy.write_row(values)


def _response(patient, episode, instrument: str, time_point: str, answers: dict,
              total: float, at: datetime) -> dict:
    return {"patient_id": patient.pk, "episode_id": episode.pk, "instrument": instrument,
            "instrument_version": "synthetic", "scorer_version": SCORER_VERSION,
            "time_point": time_point, "status": "submitted", "answers": answers,
            "total": total, "wording": "paraphrase", "completed_by": "patient",
            "submitted_at": at}


def _appointment(net: Network, location_id: int, practitioner_id: int, patient_id: int,
                 begin: datetime, status: str) -> dict:
    return {"clinic_id": net.clinic.pk, "location_id": location_id,
            "practitioner_id": practitioner_id, "patient_id": patient_id,
            "type_id": net.type_.pk, "start": begin, "end": begin + timedelta(minutes=45),
            "busy_until": begin + timedelta(minutes=60), "status": status}


def _score_answers(instrument: str, total: float) -> dict:
    if instrument == "nrs":
        return {"1": int(round(total))}
    # ODI: ten sections 0-5; the total is the sum as a percentage of 50
    points = int(round(total / 2))
    answers, left = {}, points
    for section in range(1, 11):
        value = min(5, left)
        answers[str(section)] = value
        left -= value
    return answers


def _patients(net: Network, size: int, offset: int, rng: random.Random, today: date,
              report: Report) -> None:
    from acuback.outcomes import measures
    from acuback.outcomes.models import EpisodeMeasure, QuestionnaireResponse
    from acuback.patients.models import EpisodeOfCare, Patient
    from acuback.scheduling.models import Appointment
    from acuback.treatment.models import AdverseEvent, Insertion, Session

    clinic = net.clinic
    people = Patient.objects.bulk_create(Patient(
        clinic=clinic, mrn=str(200000 + offset + k), given_name=rng.choice(GIVEN),
        family_name=rng.choice(FAMILY), sex_at_birth=rng.choice(("female", "male")),
        date_of_birth=date(1940 + rng.randrange(60), 1 + rng.randrange(12),
                           1 + rng.randrange(28)))
        for k in range(size))
    plans = []  # (patient, practitioner, location, episode_fields, sessions, responder)
    episodes = []
    for p in people:
        practitioner, location = net.practitioners[rng.randrange(len(net.practitioners))]
        for earlier in ((True, False) if rng.random() < 0.15 else (False,)):
            n_sessions = 6 + rng.randrange(7)
            start = today - timedelta(days=rng.randrange(30, 700) + (400 if earlier else 0))
            chronic = rng.random() < 0.7
            onset = start - timedelta(weeks=(12 + rng.randrange(200)) if chronic
                                      else rng.randrange(1, 11))
            finished = earlier or start + timedelta(weeks=n_sessions) < today
            episodes.append(EpisodeOfCare(
                patient=p, onset_date=onset, opened_on=start, created_by=net.admin,
                diagnosis_codes=[rng.choice(("M54.50", "M54.59", "M54.16", "M54.41"))],
                status="discharged" if finished else "open",
                discharged_on=start + timedelta(weeks=n_sessions) if finished else None,
                discharge_reason="course completed" if finished else ""))
            plans.append((p, practitioner, location, start, n_sessions, rng.random() < 0.5,
                          finished))
    episodes = EpisodeOfCare.objects.bulk_create(episodes)
    report.patients += len(people)
    report.episodes += len(episodes)

    sessions = []
    for episode, (p, practitioner, location, start, n, _, _) in zip(episodes, plans,
                                                                     strict=True):
        for k in range(n):
            day = start + timedelta(weeks=k)
            if day >= today:
                break
            sets = [(20, False)] + ([(15, rng.random() < 0.2)] if rng.random() < 0.3 else [])
            sessions.append({
                "patient_id": p.pk, "episode_id": episode.pk,
                "practitioner_id": practitioner.pk, "location_id": location.pk,
                "session_date": day, "created_by_id": net.admin.pk,
                "pain_before": rng.randrange(3, 9), "needles_inserted": 0,
                "needles_removed": 0, "electroacupuncture": any(e for _, e in sets),
                "cpt_codes": cpt.codes(sets), "cpt_rule_version": cpt.RULE_VERSION})
    _insert(Session, sessions, with_ids=True)
    insertions, counts = [], {}
    for s in sessions:
        sites = rng.sample(POINTS, 4 + rng.randrange(7))
        counts[s["id"]] = len(sites)
        for code in sites:
            side = "midline" if code.startswith("GV") else "bilateral"
            point = catalogue.lookup(code)
            # Within the point's ceiling (BL52: the kidney), at an angle its caution allows.
            ceiling = catalogue.depth_ceiling(point, side)
            depth = Decimal(10 + rng.randrange(30))
            insertions.append({
                "session_id": s["id"], "point_code": code, "side": side,
                "depth_mm": depth if ceiling is None else min(depth, ceiling),
                "angle": catalogue.default_angle(point, side), "gauge_mm": Decimal("0.25"),
                "length_mm": 40, "retention_minutes": 20})
        if s["electroacupuncture"]:
            # The electrical re-insertion records its lead pairs: each BL23 to the BL25 of
            # its own side, a pair the placement rule allows (safety.md §3.3).
            counts[s["id"]] += 2
            for code, pair in (("BL23", {"stimulation": "electrical", "frequency_hz": 2,
                                         "paired_with": "BL25"}), ("BL25", {})):
                insertions.append({
                    "session_id": s["id"], "needle_set": 2, "point_code": code,
                    "side": "bilateral", "depth_mm": Decimal(20), "angle": "perpendicular",
                    "gauge_mm": Decimal("0.25"), "length_mm": 40, "retention_minutes": 20,
                    **pair})
    _insert(Insertion, insertions)
    # Signed last: the database refuses new needle rows on a signed session.
    by_count: dict[int, list[int]] = {}
    for pk, c in counts.items():
        by_count.setdefault(c, []).append(pk)
    signed_at = timezone.now()
    for c, pks in by_count.items():
        Session.objects.filter(pk__in=pks).update(status="signed", signed_at=signed_at,
                                                  signed_by=net.admin, needles_inserted=c,
                                                  needles_removed=c)
    report.sessions += len(sessions)
    report.insertions += len(insertions)

    responses = []
    for episode, (p, _, _, start, n, responder, finished) in zip(episodes, plans, strict=True):
        baseline_nrs = 4 + rng.randrange(6)
        baseline_odi = 20 + rng.randrange(40)
        change = rng.uniform(0.3, 0.7) if responder else rng.uniform(-0.1, 0.25)
        points = [("baseline", 0, 0.0), ("review", min(4, n - 1), 0.6)]
        if finished:
            points.append(("discharge", n - 1, 1.0))
            if rng.random() < 0.6:
                points.append(("follow_up_3m", n - 1 + 13, 1.0))
        for time_point, week, fraction in points:
            day = start + timedelta(weeks=week)
            if day >= today:
                continue
            at = datetime.combine(day, time(10), net.tz)
            for instrument, base, top in (("nrs", baseline_nrs, 10), ("odi", baseline_odi, 100)):
                noise = rng.uniform(-0.08, 0.08) * top
                total = max(0.0, min(top, base * (1 - change * fraction) + noise))
                answers = _score_answers(instrument, total)
                total = (answers["1"] if instrument == "nrs"
                         else 2.0 * sum(answers.values()))
                responses.append(_response(p, episode, instrument, time_point, answers,
                                           float(total), at))
            if time_point == "baseline":
                answers = {"1": rng.randrange(3), "2": rng.randrange(3)}
                responses.append(_response(p, episode, "phq2", "baseline", answers,
                                           float(sum(answers.values())), at))
    report.responses += len(responses)
    _insert(QuestionnaireResponse, responses)
    measures.rebuild(QuestionnaireResponse, EpisodeMeasure, episode_ids=[e.pk for e in episodes])

    appointments, events = [], []
    for s in sessions:
        slot = rng.randrange(40)  # 15-minute slots from 08:00
        begin = datetime.combine(s["session_date"], time(8 + slot // 4, 15 * (slot % 4)),
                                 net.tz)
        appointments.append(_appointment(net, s["location_id"], s["practitioner_id"],
                                         s["patient_id"], begin, "completed"))
        roll = rng.random() * 1000
        for severity, rate in AE_PER_1000:
            if roll < rate:
                events.append({
                    "patient_id": s["patient_id"], "session_id": s["id"], "type": rng.choice(
                        ("bleeding", "needling_pain", "aggravation", "fatigue", "dizziness")),
                    "severity": severity, "causality": "probable", "reporter": "practitioner",
                    "onset_at": begin + timedelta(minutes=30), "description": "Synthetic event.",
                    "outcome": "resolved", "created_by_id": net.admin.pk})
                break
            roll -= rate
    for p in people:
        if rng.random() < 0.1:
            practitioner, location = net.practitioners[rng.randrange(len(net.practitioners))]
            begin = datetime.combine(today + timedelta(days=1 + rng.randrange(14)),
                                     time(8 + rng.randrange(9), 0 if p.pk % 2 else 30),
                                     net.tz)
            appointments.append(_appointment(net, location.pk, practitioner.pk, p.pk, begin,
                                             "booked"))
    # A practitioner has one visit per start time (a constraint): the first one drawn wins.
    kept = []
    for a in appointments:
        key = (a["practitioner_id"], a["start"])
        if key not in net.taken:
            net.taken.add(key)
            kept.append(a)
    _insert(Appointment, kept)
    _insert(AdverseEvent, events)
    report.appointments += len(kept)
    report.adverse_events += len(events)
