"""Small factories for tests: each returns a saved object with sensible defaults."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from acuback import signing
from acuback.accounts import zones
from acuback.accounts.models import (
    Clinic,
    Credential,
    Location,
    Membership,
    Practitioner,
    Role,
    User,
)
from acuback.patients.models import ConsentForm, ConsentKind, Patient

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def clinic_today(place) -> date:
    """Today on the calendar of a clinic or location (not the server's, not UTC)."""
    return zones.today_at(place)


def make_clinic(name: str = "Clinic") -> Clinic:
    n = next(_seq)
    return Clinic.objects.create(name=f"{name} {n}", slug=f"clinic-{n}", time_zone="America/Chicago")


def make_location(clinic: Clinic, jurisdiction: str = "US-IL") -> Location:
    return Location.objects.create(clinic=clinic, name=f"Site {next(_seq)}",
                                   address_line1="1 Main St", city="Chicago",
                                   jurisdiction=jurisdiction, time_zone="America/Chicago")


def make_user(clinic: Clinic | None, role: str | None, username: str | None = None) -> User:
    user = User.objects.create_user(username or f"user{next(_seq)}", password=PASSWORD,
                                    is_staff=role == Role.CLINIC_ADMIN)
    if clinic is not None and role is not None:
        Membership.objects.create(user=user, clinic=clinic, role=role)
    return user


def make_practitioner(clinic: Clinic, user: User | None = None, *, licence_in: str | None = "US-IL",
                      expires_in_days: int = 365) -> Practitioner:
    p = Practitioner.objects.create(clinic=clinic, user=user, display_name=f"Prac {next(_seq)}",
                                    profession="acupuncturist")
    if licence_in:
        today = clinic_today(clinic)
        Credential.objects.create(practitioner=p, kind="licence", issuer="Board", number="L-1",
                                  jurisdiction=licence_in, issued_on=today - timedelta(days=400),
                                  expires_on=today + timedelta(days=expires_in_days))
    return p


def make_patient(clinic: Clinic, **fields) -> Patient:
    n = next(_seq)
    defaults = {"mrn": f"T{n}", "given_name": "Pat", "family_name": f"Ient{n}",
                    "date_of_birth": date(1980, 5, 17)}
    defaults.update(fields)
    return Patient.objects.create(clinic=clinic, **defaults)


def make_consent_form(clinic: Clinic, kind: str = ConsentKind.TREATMENT) -> ConsentForm:
    return ConsentForm.objects.create(clinic=clinic, kind=kind, version="1",
                                      title=f"{kind} consent", body=f"Text of the {kind} form.")


@dataclass
class World:
    """Two clinics. In clinic A: an admin, a practitioner, a front-desk user, a
    patient with a portal login, another patient. In clinic B: a practitioner
    and a patient. Every access test starts from here."""

    clinic: Clinic
    location: Location
    admin: User
    practitioner: User
    practitioner_record: Practitioner
    front_desk: User
    patient_user: User
    patient: Patient
    other_patient_user: User
    other_patient: Patient
    outsider: User
    outsider_patient: Patient
    consent_form: ConsentForm

    def user_for(self, role: str) -> User | None:
        return {
            "anonymous": None,
            "patient": self.patient_user,
            "other_patient": self.other_patient_user,
            "front_desk": self.front_desk,
            "practitioner": self.practitioner,
            "clinic_admin": self.admin,
            "other_clinic": self.outsider,
        }[role]


ROLES = ["anonymous", "patient", "other_patient", "front_desk", "practitioner", "clinic_admin",
         "other_clinic"]


def make_world() -> World:
    clinic = make_clinic("Alpha")
    location = make_location(clinic)
    practitioner = make_user(clinic, Role.PRACTITIONER, "alpha_prac")
    patient_user = make_user(clinic, Role.PATIENT, "alpha_patient")
    other_patient_user = make_user(clinic, Role.PATIENT, "alpha_patient2")
    other = make_clinic("Beta")
    make_location(other, "US-WI")
    outsider = make_user(other, Role.PRACTITIONER, "beta_prac")
    make_practitioner(other, outsider, licence_in="US-WI")
    return World(
        clinic=clinic,
        location=location,
        admin=make_user(clinic, Role.CLINIC_ADMIN, "alpha_admin"),
        practitioner=practitioner,
        practitioner_record=make_practitioner(clinic, practitioner),
        front_desk=make_user(clinic, Role.FRONT_DESK, "alpha_desk"),
        patient_user=patient_user,
        patient=make_patient(clinic, given_name="Alice", family_name="Archer",
                             portal_user=patient_user),
        other_patient_user=other_patient_user,
        other_patient=make_patient(clinic, given_name="Bruno", family_name="Baker",
                                   portal_user=other_patient_user),
        outsider=outsider,
        outsider_patient=make_patient(other, given_name="Zed", family_name="Zimmer"),
        consent_form=make_consent_form(clinic),
    )


def request_for(user):
    """A request object for calling services directly (audit needs user and address)."""
    from django.test import RequestFactory

    request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
    request.user = user
    return request


def _all_no() -> dict:
    """Every intake question answered "no": a blank is unknown, and an unknown that could
    change the decision blocks needling (rule ASK)."""
    from dataclasses import fields

    from acuback.clinical.safety import Answers

    return {f.name: False for f in fields(Answers) if f.type == "bool | None"}


CLEAR_ANSWERS = _all_no()


def make_episode(patient: Patient, user: User, **fields):
    from acuback.patients.models import EpisodeOfCare

    defaults = {"onset_date": date(2026, 1, 10), "opened_on": clinic_today(patient.clinic),
                    "created_by": user}
    defaults.update(fields)
    return EpisodeOfCare.objects.create(patient=patient, **defaults)


def make_signed_screening(patient: Patient, user: User, episode=None, referred_to="",
                          patient_told="", kind="intake", **answers):
    """An intake signed through the service, so the rules run as in production."""
    from acuback.clinical.safety import Answers, answers_to_json
    from acuback.screening import services

    episode = episode or make_episode(patient, user)
    request = request_for(user)
    screening = services.screening_start(episode=episode, kind=kind, request=request)
    data = answers_to_json(Answers(**{**CLEAR_ANSWERS, **answers}))
    return services.screening_sign(screening=screening, answers=data,
                                   expected_version=screening.version, referred_to=referred_to,
                                   patient_told=patient_told, request=request)


def make_consent(patient: Patient, user: User, kind: str = ConsentKind.TREATMENT):
    from acuback.patients.models import Consent

    form = ConsentForm.objects.filter(clinic=patient.clinic, kind=kind).first() \
        or make_consent_form(patient.clinic, kind)
    with signing.signing():  # arranging data signed earlier
        return Consent.objects.create(patient=patient, form=form, kind=kind, version=form.version,
                                      text_sha256=form.text_sha256, signature_name=patient.full_name,
                                      signed_at=timezone.now(), recorded_by=user)


def make_session(patient: Patient, practitioner: Practitioner, location: Location, **fields):
    """A draft session row, written directly (tests that need the gate use the service)."""
    from acuback.treatment.models import Session

    episode = fields.pop("episode", None) or make_episode(patient, practitioner.user)
    return Session.objects.create(patient=patient, episode=episode, practitioner=practitioner,
                                  location=location, session_date=clinic_today(location),
                                  created_by=practitioner.user, **fields)


def make_adverse_event(patient: Patient, user: User, **fields):
    from acuback.treatment.models import AdverseEvent

    defaults = {"type": "bleeding", "severity": "minor", "causality": "probable",
                "onset_at": timezone.now(), "description": "Small bruise at BL23."}
    return AdverseEvent.objects.create(patient=patient, created_by=user, **{**defaults, **fields})


def make_appointment(world, start=None, **fields):
    """A booked appointment row, written directly (booking tests use the service)."""
    from datetime import datetime, time

    from acuback.scheduling.models import Appointment, AppointmentType

    type_ = AppointmentType.objects.filter(clinic=world.clinic).first() or \
        AppointmentType.objects.create(clinic=world.clinic, name="Follow-up", kind="follow_up",
                                       duration_minutes=45, buffer_minutes=15)
    start = start or datetime.combine(clinic_today(world.location) + timedelta(days=1),
                                      time(15), tzinfo=zones.zone_of(world.location))
    return Appointment.objects.create(**{
        "clinic": world.clinic, "location": world.location,
        "practitioner": world.practitioner_record, "patient": world.patient, "type": type_,
        "start": start, "end": start + type_.duration,
        "busy_until": start + type_.duration + type_.buffer, **fields})


def make_record(world):
    """Alice in clinic A: an episode with codes, a signed session with needling and CPT
    codes, ODI and NRS scores, an adverse event, a consent, an appointment, coverage."""
    from decimal import Decimal

    from acuback.billing.models import CoveragePlan, Payer
    from acuback.outcomes import services as outcomes
    from acuback.treatment.models import Insertion, Session

    w = world
    w.episode = make_episode(w.patient, w.practitioner, diagnosis_codes=["M54.50", "M54.16"],
                             pain_regions=["lumbar_left"])
    w.session = make_session(w.patient, w.practitioner_record, w.location, episode=w.episode,
                             needles_inserted=2, needles_removed=2, electroacupuncture=True)
    for code, side in (("BL23", "bilateral"), ("GV4", "midline")):
        Insertion.objects.create(session=w.session, point_code=code, side=side,
                                 depth_mm=Decimal("25.0"), gauge_mm=Decimal("0.25"),
                                 length_mm=40, retention_minutes=20, stimulation="electrical",
                                 frequency_hz=Decimal("2.0"))
    with signing.signing():  # arranging data signed earlier
        Session.objects.filter(pk=w.session.pk).update(
            status="signed", signed_at=timezone.now(), cpt_codes={"97813": 1, "97814": 1})
    w.session.refresh_from_db()
    request = request_for(w.practitioner)
    w.odi = outcomes.response_save(patient=w.patient, episode=w.episode, instrument_id="odi",
                                   time_point="baseline", answers=dict.fromkeys(range(1, 11), 2),
                                   submit=True, completed_by="staff", request=request)
    w.nrs = outcomes.response_save(patient=w.patient, episode=w.episode, instrument_id="nrs",
                                   time_point="baseline", answers={1: 7}, submit=True,
                                   completed_by="patient", request=request)
    w.event = make_adverse_event(w.patient, w.practitioner, session=w.session)
    w.consent = make_consent(w.patient, w.practitioner)
    from datetime import datetime, time

    w.appointment = make_appointment(w, start=datetime.combine(
        clinic_today(w.location) + timedelta(days=2), time(10), tzinfo=zones.zone_of(w.location)))
    payer = Payer.objects.create(clinic=w.clinic, name="Medicare", kind="medicare")
    w.plan = CoveragePlan.objects.create(patient=w.patient, payer=payer, member_id="1EG4TE5MK72",
                                         effective_from=clinic_today(w.clinic), visit_limit=20)
    return w


def make_signed_visit(patient: Patient, practitioner: Practitioner, location: Location, *,
                      episode, day: date, sets=((20, False),), needles_per_set=None,
                      stimulated=None):
    """A signed session on `day` with its needle sets and sites, as a signature leaves
    them (billing reads codes from the record). `sets`: (face-to-face minutes,
    electrical) per set; `needles_per_set`: sites per set (default one each);
    `stimulated`: per set, how many of its sites are electrically stimulated (default:
    all of an electrical set's)."""
    from acuback.clinical import cpt
    from acuback.treatment.models import Insertion, NeedleSet, Session

    session = make_session(patient, practitioner, location, episode=episode)
    for order, (minutes, electrical) in enumerate(sets, start=1):
        NeedleSet.objects.create(session=session, order=order, face_to_face_minutes=minutes,
                                 electrical=electrical)
        sites = 1 if needles_per_set is None else needles_per_set[order - 1]
        stim = (sites if electrical else 0) if stimulated is None else stimulated[order - 1]
        for n in range(sites):
            Insertion.objects.create(
                session=session, needle_set=order, point_code="BL23", side="left",
                depth_mm=15, gauge_mm="0.25", length_mm=40, retention_minutes=20,
                stimulation="electrical" if n < stim else "manual")
    with signing.signing():  # arranging data signed earlier (codes as a signature stores)
        Session.objects.filter(pk=session.pk).update(
            status="signed", signed_at=timezone.now(), session_date=day,
            cpt_codes=cpt.codes(list(sets)), cpt_rule_version=cpt.RULE_VERSION)
    session.refresh_from_db()
    return session
