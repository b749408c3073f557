"""Deterministic demo data: two clinics, their people, patients and consents.

Same seed, same data; dates are relative to the day it is loaded so that the
expired and expiring licences stay expired and expiring.
"""

from __future__ import annotations

import random
import zoneinfo
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from acuback import signing
from acuback.accounts.models import (
    Clinic,
    Credential,
    CredentialKind,
    Location,
    Membership,
    Practitioner,
    Profession,
    Role,
    Supervision,
    User,
)
from acuback.billing import claims, x12
from acuback.billing.models import ClaimSetup, ClaimStatus, CoveragePlan, FeeSchedule, Payer
from acuback.clinical import cpt, instruments, points
from acuback.clinical.safety import (
    Answers,
    Device,
    Outcome,
    answers_to_json,
    decide,
    with_lists,
)
from acuback.outcomes import measures
from acuback.outcomes.models import EpisodeMeasure, QuestionnaireResponse
from acuback.patients.models import (
    Consent,
    ConsentForm,
    ConsentKind,
    EpisodeOfCare,
    EpisodeStatus,
    Patient,
)
from acuback.scheduling.models import Appointment, AppointmentType, WeeklyAvailability
from acuback.screening.forms import derived_answers
from acuback.screening.models import (
    ClearanceKind,
    LabResult,
    ListReview,
    Medication,
    MedicationKind,
    ReferralClearance,
    ResultKind,
    Screening,
    ScreeningKind,
    ScreeningStatus,
)
from acuback.screening.selectors import chart_lists, lists_for_rules
from acuback.treatment.models import AdverseEvent, Insertion, NeedleSet, Session, TreatmentPlan

DEMO_SLUG = "riverside-demo"
OTHER_SLUG = "harbor-demo"
DEMO_PASSWORD = "acuback-demo"  # noqa: S105 - published demo login, documented in README  # nosec


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    clinic: str
    note: str = ""


DEMO_LOGINS = [
    DemoLogin("mlin", "practitioner", "Riverside", "licensed in OR and WA"),
    DemoLogin("jporter", "practitioner", "Riverside", "physician, supervisor"),
    DemoLogin("dokafor", "practitioner", "Riverside", "licence expired: not cleared"),
    DemoLogin("swhitfield", "practitioner", "Riverside", "licence expires within 60 days"),
    DemoLogin("frontdesk", "front_desk", "Riverside"),
    DemoLogin("admin", "clinic_admin", "Riverside", "runs the clinic under Clinic admin"),
    DemoLogin("patient", "patient", "Riverside", "the patient Grace Thompson"),
    DemoLogin("harbor", "practitioner", "Harbor Street", "the other clinic"),
]


def demo_login_lines() -> list[str]:
    """The demo logins as `seed-demo` and `welcome` print them."""
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for login in DEMO_LOGINS:
        note = f" — {login.note}" if login.note else ""
        lines.append(f"  {login.username:<11} {login.role:<13} {login.clinic}{note}")
    return lines


GIVEN_F = ["Grace", "Maria", "Aisha", "Emily", "Sofia", "Hannah", "Mei", "Priya", "Olivia",
           "Fatima", "Chloe", "Isabel", "Naomi", "Keiko", "Rosa", "Julia", "Amara", "Ingrid",
           "Lucia", "Yara", "Helen", "Beatriz", "Nadia", "Claire"]
GIVEN_M = ["James", "Daniel", "Mohammed", "Carlos", "Wei", "Ethan", "Samuel", "Arjun", "Lucas",
           "Omar", "Henry", "Mateo", "Kenji", "David", "Tomas", "Noah", "Ibrahim", "Peter",
           "Luis", "Andre", "Michael", "Hiro", "Joseph", "Ravi"]
FAMILY = ["Thompson", "Garcia", "Nguyen", "Patel", "Kim", "Okafor", "Martinez", "Chen",
          "Johnson", "Rossi", "Haddad", "Novak", "Williams", "Tanaka", "Silva", "Brown",
          "Kowalski", "Ahmed", "Lopez", "Schmidt", "O'Connor", "Singh", "Davis", "Moreau",
          "Andersson", "Yamamoto", "Hernandez", "Murphy", "Cohen", "Dubois", "Reyes", "Walker"]
STREETS = ["Alder St", "NE Broadway", "SE Hawthorne Blvd", "Main St", "Columbia Way",
           "Fourth Plain Blvd", "NW Glisan St", "Division St", "Mill Plain Blvd", "Oak Ave"]
LANGUAGES = ["English"] * 8 + ["Spanish", "Vietnamese", "Mandarin", "Russian"]

CONSENT_TEXTS = {
    ConsentKind.TREATMENT: (
        "Consent to acupuncture treatment",
        "DEMO TEXT: replace with your clinic's reviewed consent form.\n\n"
        "I agree to receive acupuncture for back pain from a licensed practitioner of this "
        "clinic. The practitioner has explained what the treatment involves, what it may and "
        "may not do, the common minor effects (bruising, soreness or bleeding at a needle "
        "site, tiredness, feeling faint or fainting), the rare serious risks (a "
        "pneumothorax, that is a collapsed lung, after needling over the chest or upper "
        "back; an infection; a retained needle, that is a needle left in by mistake) and "
        "the alternatives. "
        "I have told the practitioner about bleeding disorders, blood-thinning medicines, "
        "implanted devices and pregnancy. I may stop treatment at any time.",
    ),
    ConsentKind.ELECTROACUPUNCTURE: (
        "Consent to electroacupuncture",
        "DEMO TEXT: replace with your clinic's reviewed consent form.\n\n"
        "I agree that a small electrical current may be passed between acupuncture needles. "
        "I have told the practitioner about any pacemaker, defibrillator or other implanted "
        "electrical device. I may ask for the stimulation to be stopped at any time.",
    ),
    ConsentKind.DATA_SHARING: (
        "Consent to share my records with my doctor and insurer",
        "DEMO TEXT: replace with your clinic's reviewed consent form.\n\n"
        "I agree that this clinic may send progress reports about my treatment to the "
        "doctor who referred me and to my insurer, for my care and for payment.",
    ),
    ConsentKind.RESEARCH: (
        "Consent to research use of de-identified data",
        "DEMO TEXT: replace with your clinic's reviewed consent form.\n\n"
        "I agree that my questionnaire results and treatment records, with everything that "
        "identifies me removed, may be used to study how well treatment works.",
    ),
}


def _user(username: str, first: str, last: str) -> User:
    # No Django "staff status" for anyone: it means nothing in acuback (operators are
    # superusers), and the demo should not suggest otherwise.
    user = User(username=username, first_name=first, last_name=last,
                email=f"{username}@example.org")
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def _licence(p: Practitioner, jurisdiction: str, number: str, expires: date, title: str,
             issuer: str, today: date) -> Credential:
    return Credential.objects.create(
        practitioner=p, kind=CredentialKind.LICENCE, title=title, issuer=issuer,
        number=number, jurisdiction=jurisdiction, issued_on=expires - timedelta(days=730),
        expires_on=expires, verified_on=today - timedelta(days=30),
        source_url="https://example.org/licence-lookup",
    )


def _consent_forms(clinic: Clinic) -> dict[str, ConsentForm]:
    return {
        kind: ConsentForm.objects.create(clinic=clinic, kind=kind, version="2026-1",
                                         title=title, body=body)
        for kind, (title, body) in CONSENT_TEXTS.items()
    }


def _patients(clinic: Clinic, count: int, rng: random.Random, recorder: User,
              forms: dict[str, ConsentForm], city: str, region: str, today: date,
              first_mrn: int) -> list[Patient]:
    patients = []
    used: set[tuple[str, str]] = set()
    clinic_tz = zoneinfo.ZoneInfo(clinic.time_zone)
    for i in range(count):
        while True:
            female = rng.random() < 0.55
            given = rng.choice(GIVEN_F if female else GIVEN_M)
            family = rng.choice(FAMILY)
            if (given, family) not in used:
                used.add((given, family))
                break
        age_days = rng.randint(22 * 365, 84 * 365)
        phone = f"+1 503 555 {rng.randint(100, 999):03d}{rng.randint(0, 9)}"
        patient = Patient.objects.create(
            clinic=clinic, mrn=str(first_mrn + i), given_name=given, family_name=family,
            date_of_birth=today - timedelta(days=age_days),
            sex_at_birth="female" if female else "male",
            email=f"{given}.{family}".lower().replace("'", "") + "@example.com",
            phone=phone,
            address_line1=f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
            city=city, region=region, postal_code=f"97{rng.randint(200, 299)}",
            preferred_language=rng.choice(LANGUAGES),
            emergency_contact_name=f"{rng.choice(GIVEN_F + GIVEN_M)} {family}",
            emergency_contact_relationship=rng.choice(["spouse", "partner", "parent", "sibling",
                                                       "friend"]),
            emergency_contact_phone=f"+1 503 555 {rng.randint(1000, 9999)}",
        )
        signed = datetime.combine(today - timedelta(days=rng.randint(1, 300)),
                                  time(9 + rng.randint(0, 8), 15), tzinfo=clinic_tz)
        kinds = [ConsentKind.TREATMENT] if rng.random() < 0.9 else []
        if kinds and rng.random() < 0.4:
            kinds.append(ConsentKind.ELECTROACUPUNCTURE)
        if rng.random() < 0.6:
            kinds.append(ConsentKind.DATA_SHARING)
        for kind in kinds:
            form = forms[kind]
            Consent.objects.create(
                patient=patient, form=form, kind=kind, version=form.version,
                text_sha256=form.text_sha256, signature_name=patient.full_name,
                signed_at=signed, recorded_by=recorder,
            )
        patients.append(patient)
    Clinic.objects.filter(pk=clinic.pk).update(mrn_counter=first_mrn + count - 1)
    return patients


@transaction.atomic
@signing.signing()  # the demo's notes and consents are signed as its practitioners sign them
def seed_demo(today: date | None = None) -> None:
    today = today or timezone.localdate()
    rng = random.Random(2026)  # noqa: S311 - demo data, not security  # nosec

    clinic = Clinic.objects.create(name="Riverside Acupuncture & Back Care", slug=DEMO_SLUG,
                                   time_zone="America/Los_Angeles", phone="+1 503 555 0100",
                                   email="hello@riverside.example.org")
    portland = Location.objects.create(
        clinic=clinic, name="Portland – Hawthorne", address_line1="3420 SE Hawthorne Blvd",
        city="Portland", region="OR", postal_code="97214", jurisdiction="US-OR",
        time_zone="America/Los_Angeles")
    Location.objects.create(
        clinic=clinic, name="Vancouver – Main Street", address_line1="1101 Main St",
        city="Vancouver", region="WA", postal_code="98660", jurisdiction="US-WA",
        time_zone="America/Los_Angeles")

    people = {
        "mlin": ("Mei", "Lin", Role.PRACTITIONER),
        "jporter": ("James", "Porter", Role.PRACTITIONER),
        "dokafor": ("Daniel", "Okafor", Role.PRACTITIONER),
        "swhitfield": ("Sarah", "Whitfield", Role.PRACTITIONER),
        "frontdesk": ("Rosa", "Alvarez", Role.FRONT_DESK),
        "admin": ("Helen", "Brooks", Role.CLINIC_ADMIN),
    }
    users = {}
    for username, (first, last, role) in people.items():
        users[username] = _user(username, first, last)
        Membership.objects.create(user=users[username], clinic=clinic, role=role)

    porter = Practitioner.objects.create(clinic=clinic, user=users["jporter"],
                                         display_name="Dr James Porter, MD",
                                         profession=Profession.PHYSICIAN, npi="1234567893")
    lin = Practitioner.objects.create(clinic=clinic, user=users["mlin"],
                                      display_name="Mei Lin, L.Ac.",
                                      profession=Profession.ACUPUNCTURIST, supervisor=porter,
                                      npi="1245319599")
    okafor = Practitioner.objects.create(clinic=clinic, user=users["dokafor"],
                                         display_name="Daniel Okafor, L.Ac.",
                                         profession=Profession.ACUPUNCTURIST, supervisor=porter)
    whitfield = Practitioner.objects.create(clinic=clinic, user=users["swhitfield"],
                                            display_name="Sarah Whitfield, DPT",
                                            profession=Profession.PHYSICAL_THERAPIST)
    or_board = "Oregon Medical Board"
    wa_doh = "Washington State Department of Health"
    _licence(porter, "US-OR", "MD-204511", today + timedelta(days=540), "MD", or_board, today)
    _licence(porter, "US-WA", "MD60811234", today + timedelta(days=300), "MD", wa_doh, today)
    _licence(lin, "US-OR", "AC-01873", today + timedelta(days=410), "L.Ac.", or_board, today)
    _licence(lin, "US-WA", "AC60412877", today + timedelta(days=200), "L.Ac.", wa_doh, today)
    Credential.objects.create(
        practitioner=lin, kind=CredentialKind.CERTIFICATION, title="Dipl. Ac. (NCCAOM)",
        issuer="NCCAOM", number="112233", jurisdiction="US", issued_on=today - timedelta(900),
        expires_on=today + timedelta(days=560))
    Credential.objects.create(
        practitioner=lin, kind=CredentialKind.DEGREE, title="MAc (ACAHM-accredited)",
        issuer="Oregon College of Oriental Medicine", jurisdiction="US",
        issued_on=today - timedelta(days=3650), degree_level="masters",
        degree_field="acupuncture", accreditor="ACAHM")
    # Dr Porter supervises the acupuncturists: Medicare visits bill incident-to him.
    for supervisee in (lin, okafor):
        Supervision.objects.create(supervisee=supervisee, supervisor=porter,
                                   valid_from=today - timedelta(days=730))
    _licence(okafor, "US-OR", "AC-01544", today - timedelta(days=21), "L.Ac.", or_board, today)
    _licence(whitfield, "US-WA", "PT61004321", today + timedelta(days=35), "DPT", wa_doh,
             today)

    forms = _consent_forms(clinic)
    patients = _patients(clinic, 64, rng, users["mlin"], forms, "Portland", "OR", today,
                         100001)
    # The demo patient login belongs to the first patient, renamed to a known name.
    grace = patients[0]
    _rename(grace, "Grace", "Thompson")
    grace.sex_at_birth = "female"
    grace.portal_user = _user("patient", "Grace", "Thompson")
    grace.save()
    Membership.objects.create(user=grace.portal_user, clinic=clinic, role=Role.PATIENT)
    # One withdrawn consent, so the history shows what withdrawal looks like.
    withdrawn = Consent.objects.filter(patient__in=patients[1:], kind=ConsentKind.DATA_SHARING
                                       ).order_by("pk").first()
    treated = _demo_screenings(patients, users["mlin"], today)
    _demo_treatment(treated, lin, portland, today)
    _demo_outcomes(treated, users["mlin"], today)
    _demo_calendar(clinic, [porter, lin, okafor, whitfield], patients, users["frontdesk"], today)
    _demo_billing(clinic, grace, treated[1], today)
    _demo_claims(clinic, treated[1], users["admin"], today)
    if withdrawn is not None:
        Consent.objects.filter(pk=withdrawn.pk).update(
            withdrawn_at=withdrawn.signed_at + timedelta(days=10), withdrawn_by=users["frontdesk"],
            withdrawal_reason="Patient asked us not to send reports to the insurer.")


    other = Clinic.objects.create(name="Harbor Street Acupuncture", slug=OTHER_SLUG,
                                  time_zone="America/New_York")
    Location.objects.create(clinic=other, name="Harbor Street", address_line1="88 Harbor St",
                            city="Boston", region="MA", postal_code="02110",
                            jurisdiction="US-MA", time_zone="America/New_York")
    harbor_user = _user("harbor", "Tom", "Reilly")
    Membership.objects.create(user=harbor_user, clinic=other, role=Role.PRACTITIONER)
    harbor = Practitioner.objects.create(clinic=other, user=harbor_user,
                                         display_name="Tom Reilly, L.Ac.",
                                         profession=Profession.ACUPUNCTURIST)
    _licence(harbor, "US-MA", "AC-3321", today + timedelta(days=365), "L.Ac.",
             "Massachusetts Board of Registration in Medicine", today)
    _patients(other, 6, rng, harbor_user, _consent_forms(other), "Boston", "MA", today, 500001)


# Every intake question answered "no" (a blank is unknown and blocks needling: rule ASK).
CLEAR = {f.name: False for f in fields(Answers) if f.type == "bool | None"}


def _rename(patient: Patient, given: str, family: str) -> None:
    """Give a demo patient a name the README can refer to, keeping the record consistent."""
    old_family = patient.family_name
    patient.given_name, patient.family_name = given, family
    patient.email = f"{given}.{family}@example.com".lower()
    patient.emergency_contact_name = patient.emergency_contact_name.replace(old_family, family)
    patient.save()
    Consent.objects.filter(patient=patient).update(signature_name=patient.full_name)


def _screen(patient: Patient, user: User, today: date, onset_weeks: int, *, signed_days_ago=0,
            referred_to: str = "", patient_told: str = "", **answers) -> Screening:
    """An episode and a signed intake, decided by the real rules."""
    episode = EpisodeOfCare.objects.create(
        patient=patient, onset_date=today - timedelta(weeks=onset_weeks),
        opened_on=today - timedelta(days=signed_days_ago), created_by=user,
        pain_regions=["back_lower_left", "back_lower_right"], diagnosis_codes=["M54.50"],
        goals="Less pain; walk the dog again.")
    values = {**CLEAR, **answers, **derived_answers(patient=patient, episode=episode, on=today)}
    # The rules read the patient's lists, as at every signed screening.
    decision = decide(with_lists(Answers(**values), lists_for_rules(chart_lists(patient),
                                                                    today)))
    signed_at = timezone.now() - timedelta(days=signed_days_ago)
    screening = Screening.objects.create(
        patient=patient, episode=episode, kind=ScreeningKind.INTAKE,
        status=ScreeningStatus.SIGNED, answers=answers_to_json(Answers(**values)),
        decision=decision.as_dict(), outcome=decision.outcome.name,
        needling_allowed=decision.needling_allowed,
        electroacupuncture_allowed=decision.electroacupuncture_allowed,
        rule_version=decision.rule_version, referred_to=referred_to, patient_told=patient_told,
        created_by=user, signed_by=user, signed_at=signed_at)
    ListReview.objects.create(patient=patient, screening=screening, reviewed_by=user)
    if decision.outcome >= Outcome.URGENT:
        EpisodeOfCare.objects.filter(pk=episode.pk).update(status=EpisodeStatus.ON_HOLD)
    return screening


def _medicines(patient: Patient, user: User, today: date, *names: tuple[str, str, str]) -> None:
    """Entries on the patient's medication list: (kind, name, dose), started a year ago."""
    for kind, name, dose in names:
        Medication.objects.create(patient=patient, kind=kind, name=name, dose=dose,
                                  started_on=today - timedelta(days=365), recorded_by=user)


def _demo_screenings(patients: list[Patient], user: User, today: date) -> list[Patient]:
    """Most patients screened clean; a few show what each safety rule does. Returns the
    patients the demo treats: Grace Thompson and eight screened clean, so that each plan
    obeys its patient's own profile (the pregnant patient's blocks the lumbar points)."""
    _screen(patients[2], user, today, 1, saddle_numbness=True, bladder_disturbance=True,
            referred_to="Emergency department, Providence Portland",
            patient_told="Go to the emergency department now; do not drive yourself.")
    expecting = next(p for p in patients[3:] if p.sex_at_birth == "female"
                     and p.age_on(today) < 45)
    _rename(expecting, "Sofia", "Martinez")
    _screen(expecting, user, today, 20, pregnant=True, gestational_weeks=22)
    _screen(next(p for p in patients[4:] if p.pk != expecting.pk), user, today, 30,
            has_implanted_device=True, devices=(Device("pacemaker", "chest", date(2019, 4, 2)),))
    # On warfarin, with last week's INR: the list answers the medicines question.
    _medicines(patients[5], user, today, (MedicationKind.MEDICINE, "warfarin", "5 mg daily"))
    LabResult.objects.create(patient=patients[5], kind=ResultKind.INR, value="2.4",
                             taken_on=today - timedelta(days=6), recorded_by=user)
    _screen(patients[5], user, today, 16, takes_listed_medicines=None)
    # Two antithrombotics and ginkgo: needling waits for the prescriber's clearance.
    combined = next(p for p in patients[40:] if p.pk != expecting.pk)
    _rename(combined, "Arthur", "Bell")
    _medicines(combined, user, today, (MedicationKind.MEDICINE, "Eliquis", "5 mg twice daily"),
               (MedicationKind.MEDICINE, "clopidogrel", "75 mg daily"),
               (MedicationKind.HERB, "ginkgo biloba", "120 mg daily"))
    LabResult.objects.create(patient=combined, kind=ResultKind.PLATELETS, value="210",
                             taken_on=today - timedelta(days=20), recorded_by=user)
    _screen(combined, user, today, 12, takes_listed_medicines=None)
    urgent = _screen(patients[6], user, today, 3, signed_days_ago=10, new_episode=True,
                     history_of_cancer=True, referred_to="Dr Patel (oncology)",
                     patient_told="Your doctor needs to see you this week before acupuncture.")
    referral = next(f for f in urgent.decision["findings"] if f["rule"] == "RF-04")
    ReferralClearance.objects.create(
        screening=urgent, rule_id="RF-04", raised_by=referral["note"],
        kind=ClearanceKind.MEDICAL_CLEARANCE, recorded_by=user,
        cleared_by_name="Dr Anita Patel (oncology)", cleared_on=today - timedelta(days=3),
        letter="Letter from Dr Patel, oncology clinic, filed in the patient's documents.",
        note="Seen by oncology; imaging shows no metastasis. Cleared for acupuncture.")
    EpisodeOfCare.objects.filter(pk=urgent.episode_id).update(status=EpisodeStatus.OPEN)
    treated = [patients[0]] + [p for p in patients[7:16] if p.pk != expecting.pk][:8]
    treated_pks = {p.pk for p in treated}
    for patient in [patients[0]] + [p for p in patients[7:40] if p.pk != expecting.pk]:
        # Patients in treatment were screened before their first session, six weeks ago.
        _screen(patient, user, today, 20 + patient.pk % 40,
                signed_days_ago=42 if patient.pk in treated_pks else patient.pk % 3)
    return treated


DEMO_PRESCRIPTION = [{"code": "BL23", "side": "bilateral"}, {"code": "BL25", "side": "bilateral"},
                     {"code": "GV4", "side": "midline"}, {"code": "BL40", "side": "bilateral"},
                     {"location": "left L4 paraspinal", "side": "left"}]


# One patient is treated with electroacupuncture: each BL23 to the BL25 of its own side,
# along the lumbar back, below the spinal cord (safety.md §3.3).
DEMO_EA_PAIRS = [{"code": "BL23", "side": "bilateral", "paired_with": "BL25", "paired_side": ""}]
# Heat over the lower back, where each demo patient's profile allows it (a seed test checks
# every plan and session against the patient's own profile).
DEMO_ADJUNCTS = [{"kind": "heat", "region": "lower_back"}]


def _demo_treatment(patients: list[Patient], practitioner: Practitioner, location: Location,
                    today: date) -> None:
    """Plans and a few weeks of signed sessions, so the timeline has something to show.
    They obey the needle-site rules the session form enforces: depth and angle within
    each point's caution, electrode pairs that the placement rule allows."""
    user = practitioner.user
    clinic_tz = zoneinfo.ZoneInfo(location.time_zone)
    ea_patient = next((p for p in patients[1:] if ConsentKind.ELECTROACUPUNCTURE
                       in Consent.objects.kinds_in_force(p.pk)), None)
    for index, patient in enumerate(patients):
        episode = patient.episodes.first()
        electrical = patient == ea_patient
        plan = TreatmentPlan.objects.create(
            patient=patient, episode=episode, style="tcm", individualisation="semi",
            rationale="Local points over the lumbar region with distal BL40 (command point of "
            "the back); kidney-tonifying BL23 for chronic pain.", planned_sessions=8,
            sessions_per_week=1, prescription=DEMO_PRESCRIPTION, adjuncts=DEMO_ADJUNCTS,
            planned_electroacupuncture=electrical, ea_pairs=DEMO_EA_PAIRS if electrical else [],
            goals=episode.goals, review_date=today + timedelta(weeks=4), created_by=user)
        TreatmentPlan.objects.filter(pk=plan.pk).update(
            created_at=datetime.combine(today - timedelta(days=41), time(10), tzinfo=clinic_tz))
        for week in range(3 + index % 4, 0, -1):  # weekly, ending last week
            day = today - timedelta(weeks=week)
            # The first patient's latest session adds GB21 for shoulder tension: a
            # chest-wall point, needled past its ceiling with the caution acknowledged,
            # and the symptom check recorded before the patient left.
            shoulder = index == 0 and week == 1
            session = Session.objects.create(
                patient=patient, episode=episode, plan=plan, practitioner=practitioner,
                location=location, session_date=day, created_by=user,
                subjective=f"Pain {min(8, 4 + week)}/10 this week."
                + (" Tight across the left shoulder." if shoulder else ""), adjuncts=DEMO_ADJUNCTS,
                deviation_from_plan="Added GB21 left (upper trapezius), 18 mm oblique in a "
                "well-built patient, pleura caution acknowledged." if shoulder else "",
                pain_before=min(8, 4 + week), pain_after=max(1, 2 + week - 1),
                needles_inserted=9 if shoulder else 8, needles_removed=9 if shoulder else 8,
                electroacupuncture=electrical, chest_check="clear" if shoulder else "")
            NeedleSet.objects.create(session=session, order=1, position="prone",
                                     face_to_face_minutes=20, electrical=electrical)
            rows = [Insertion(session=session, point_code=item.get("code", ""),
                              location_text=item.get("location", ""), side=item["side"],
                              depth_mm=20 if item.get("code") != "GV4" else 10,
                              angle=points.default_angle(points.site_point(item.get("code")),
                                                         item["side"], item.get("location", "")),
                              gauge_mm="0.25", length_mm=40, response_obtained=True,
                              retention_minutes=20,
                              needles=2 if item["side"] == "bilateral" else 1,
                              **(_demo_ea(item) if electrical else {}))
                    for item in DEMO_PRESCRIPTION]
            if shoulder:
                rows.append(Insertion(session=session, point_code="GB21", side="left",
                                      depth_mm=18, angle="oblique", caution_acknowledged=True,
                                      gauge_mm="0.25", length_mm=30, response_obtained=True,
                                      retention_minutes=20, needles=1))
            Insertion.objects.bulk_create(rows)
            signed_at = datetime.combine(day, time(16, 30), tzinfo=clinic_tz)
            # The codes a signature stores, from the needle sets and their sites.
            codes = cpt.codes(cpt.sets_from_record(
                [{"order": 1, "face_to_face_minutes": 20, "electrical": electrical}],
                [{"needle_set": r.needle_set, "needles": r.needles,
                  "stimulation": r.stimulation} for r in rows]))
            Session.objects.filter(pk=session.pk).update(
                status="signed", signed_by=user, signed_at=signed_at, cpt_codes=codes,
                cpt_rule_version=cpt.RULE_VERSION)
        if index == 1:
            AdverseEvent.objects.create(
                patient=patient, session=session, type="bleeding", severity="minor",
                causality="probable", onset_at=signed_at, duration_days=4,
                description="Small bruise at left BL25.", outcome="resolved", created_by=user)
        if index == 2:
            AdverseEvent.objects.create(
                patient=patient, session=session, type="dizziness",
                severity="needed_treatment", causality="probable", onset_at=signed_at,
                description="Felt faint on sitting up; lay down, water, recovered in 10 "
                "minutes.", action_taken="Lay flat, legs raised; observed 30 minutes.",
                outcome="resolved", created_by=user)


# Demo prices, not a published fee schedule: each clinic sets its own (Billing -> Fee
# schedule).
DEMO_FEES = {"97810": "85.00", "97811": "40.00", "97813": "95.00", "97814": "45.00",
             "20560": "70.00", "20561": "90.00"}


# Demo data standing in for the CMS NCD 30.3.3 list: the demo episodes' diagnosis code
# only. It is not the CMS list and says so on the payer.
DEMO_NCD_LIST = ["M54.50"]


def _demo_billing(clinic: Clinic, commercial_patient: Patient, medicare_patient: Patient,
                  today: date) -> None:
    """A fee for each code, a commercial plan for Grace Thompson and Medicare for a patient
    treated by Mei Lin (supervised by Dr Porter: incident-to). The Medicare payer holds a
    demo stand-in for the CMS NCD 30.3.3 diagnosis list (the demo episodes' code, marked
    as demo data): without a list every Medicare line is held, and the demo would show
    no coverage decision at all."""
    FeeSchedule.objects.bulk_create(FeeSchedule(clinic=clinic, code=code, amount=amount)
                                    for code, amount in DEMO_FEES.items())
    medicare = Payer(clinic=clinic, name="Medicare Part B", kind="medicare",
                     covered_diagnoses=DEMO_NCD_LIST, covered_diagnoses_source=(
                         "DEMO DATA, not the CMS file: a clinic loads the CMS NCD 30.3.3 "
                         "ICD-10 spreadsheet (CR 11755) with its file name, address and "
                         "date"))
    medicare.full_clean()
    medicare.save()
    cascade = Payer.objects.create(clinic=clinic, name="Cascade Health Plan",
                                   kind="commercial")
    start = today - timedelta(days=365)
    CoveragePlan.objects.create(patient=commercial_patient, payer=cascade, plan_name="PPO",
                                member_id="CHP-204-1177", effective_from=start, visit_limit=20,
                                copay="25.00")
    CoveragePlan.objects.create(patient=medicare_patient, payer=medicare, plan_name="Part B",
                                member_id="1EG4TE5MK73", effective_from=start)


def _demo_claims(clinic: Clinic, medicare_patient: Patient, biller: User, today: date) -> None:
    """The biller's month (issue #29 §2): the claim set-up (DEMO DATA: a made-up tax ID,
    submitter and clearing house), claims prepared from the record, the ready ones sent in
    one batch (its 837P passed by pyx12), and Medicare's 835 for it posted: a simulated
    payer, not Medicare's prices."""
    from django.test import RequestFactory

    request = RequestFactory().post("/billing/electronic-claims/", REMOTE_ADDR="127.0.0.1")
    request.user = biller  # the demo's clinic admin does the billing, audited as such
    ClaimSetup.objects.create(clinic=clinic, tax_id="930000000",
                              address_line1="3420 SE Hawthorne Blvd", city="Portland",
                              state="OR", postal_code="97214-0000", submitter_id="RIVERSIDE01",
                              contact_phone="5035550100", receiver_name="Demo Clearing House",
                              receiver_id="DEMOCH")
    Payer.objects.filter(clinic=clinic, kind="medicare").update(electronic_payer_id="DEMOMCR")
    Payer.objects.filter(clinic=clinic, kind="commercial").update(electronic_payer_id="DEMOCHP")
    prepared = claims.claims_prepare(clinic=clinic, start=today - timedelta(days=365),
                                     end=today, request=request)
    ready = [c for c in prepared if c.status == ClaimStatus.READY]
    if not ready:
        return
    batch = claims.batch_submit(clinic=clinic, claim_ids=[c.pk for c in ready],
                                request=request)
    paid = [_demo_payment(c) for c in ready if c.patient_id == medicare_patient.pk]
    if not paid:
        return
    envelope = x12.Envelope("DEMOMCR", "RIVERSIDE01", x12.Party("MEDICARE", person=False),
                            "", "", x12.Party("RIVERSIDE", person=False),
                            batch.control_number, timezone.now())
    remittance = x12.Remittance(f"EFT{today:%Y%m%d}{batch.control_number:03d}", "1999999999",
                                "MEDICARE PART B (DEMO)",
                                sum((c.paid for c in paid), Decimal(0)), today, paid)
    payee = x12.Party(clinic.name, person=False, id_qualifier="XX",
                      identifier=ready[0].billing_npi)
    claims.remittance_import(clinic=clinic, content=x12.remittance_file(envelope, remittance,
                                                                        payee),
                             request=request)


def _demo_payment(claim) -> x12.ClaimPaid:
    """A simulated payer's answer to one claim (DEMO DATA): each covered line allowed at
    80% of the charge (CO-45, charge over the fee schedule) with 20% of that coinsurance
    (PR-2); a line sent as expected to be denied (GZ) is denied as not medically necessary
    (CO-50) and one that is not a benefit (GY) as non-covered (PR-96). CARC codes as
    published by X12."""
    cent = Decimal("0.01")
    adjustments, lines = [], []
    for line in claim.lines.all():
        modifiers = line.modifiers.split()
        if "GZ" in modifiers or "GY" in modifiers:
            group, reason = ("CO", "50") if "GZ" in modifiers else ("PR", "96")
            adjustments.append(x12.Adjustment(group, reason, line.charge, line.code))
            lines.append((line.code, line.charge, Decimal(0)))
            continue
        contractual = (line.charge * Decimal("0.2")).quantize(cent)
        coinsurance = ((line.charge - contractual) * Decimal("0.2")).quantize(cent)
        adjustments += [x12.Adjustment("CO", "45", contractual, line.code),
                        x12.Adjustment("PR", "2", coinsurance, line.code)]
        lines.append((line.code, line.charge, line.charge - contractual - coinsurance))
    total_paid = sum((p for _, _, p in lines), Decimal(0))
    share = sum((a.amount for a in adjustments if a.group == "PR"), Decimal(0))
    return x12.ClaimPaid(claim.number, "1" if total_paid else "4", claim.total_charge,
                         total_paid, share, f"DEMO{claim.pk:010d}", adjustments, lines)


def _demo_ea(item: dict) -> dict:
    """The electrical fields of a planned point, from the demo's electrode pairs."""
    for pair in DEMO_EA_PAIRS:
        if pair["code"] == item.get("code"):
            return {"stimulation": "electrical", "frequency_hz": 2, "intensity": "to comfort",
                    "paired_with": pair["paired_with"], "paired_side": pair["paired_side"]}
    return {}


def _demo_outcomes(patients: list[Patient], user: User, today: date) -> None:
    """Baseline at intake and a review two weeks ago; one patient does not improve."""
    clinic_tz = zoneinfo.ZoneInfo(patients[0].clinic.time_zone)
    episode_ids = []
    for index, patient in enumerate(patients):
        episode = patient.episodes.first()
        episode_ids.append(episode.pk)
        flat = index == 3  # six sessions and no change: shows the not-improving alert
        plans = [
            ("baseline", 42, {"nrs": {1: 7, 2: 6, 3: 8}, "odi": dict.fromkeys(range(1, 11), 3),
                              "peg": {1: 7, 2: 6, 3: 7}, "psfs": {1: 3, 2: 4},
                              "startback": {1: 1, 2: 0, 3: 1, 4: 1, 5: 0, 6: 1, 7: 0, 8: 0,
                                            9: 2},
                              "phq2": {1: 1, 2: 0}, "gad2": {1: 1, 2: 1}}),
            ("review", 14, {"nrs": {1: 7 if flat else 4 - index % 2},
                            "odi": dict.fromkeys(range(1, 11), 3 if flat else 2),
                            "peg": {1: 7, 2: 6, 3: 7} if flat else {1: 4, 2: 3, 3: 4},
                            "psfs": {1: 3, 2: 4} if flat else {1: 6, 2: 7}}),
        ]
        for time_point, days_ago, answer_sets in plans:
            at = datetime.combine(today - timedelta(days=days_ago), time(9, 40), tzinfo=clinic_tz)
            for instrument_id, answers in answer_sets.items():
                result = instruments.score(instrument_id, answers)
                QuestionnaireResponse.objects.create(
                    patient=patient, episode=episode, instrument=instrument_id,
                    instrument_version=instruments.get(instrument_id).version,
                    scorer_version=result.version, time_point=time_point, status="submitted",
                    answers={str(k): v for k, v in answers.items()},
                    item_labels={"1": "Gardening", "2": "Lifting my grandchild"}
                    if instrument_id == "psfs" else {},
                    total=result.total, subscores=result.subscores, band=result.band or "",
                    # A patient answers only wording that can be shown to them; a
                    # paraphrased instrument is entered by staff (docs/outcomes.md).
                    **({"wording": "full", "completed_by": "patient"}
                       if instruments.get(instrument_id).ship_text else
                       {"wording": "paraphrase", "completed_by": "staff", "entered_by": user}),
                    submitted_at=at)
    # Written directly (back-dated), so the derived measures are rebuilt for these episodes.
    measures.rebuild(QuestionnaireResponse, EpisodeMeasure,
                     episode_ids=episode_ids)


def _demo_calendar(clinic: Clinic, practitioners: list[Practitioner], patients: list[Patient],
                   user: User, today: date) -> None:
    """Appointment types, weekday hours, and today's and tomorrow's bookings."""
    types = {kind: AppointmentType.objects.create(clinic=clinic, name=name, kind=kind,
                                                  duration_minutes=minutes, buffer_minutes=10)
             for kind, name, minutes in (("initial", "Initial assessment", 60),
                                         ("follow_up", "Follow-up treatment", 45),
                                         ("re_evaluation", "Re-evaluation", 45))}
    locations = list(clinic.locations.order_by("name"))
    for practitioner in practitioners:
        for weekday in range(5):
            for location in locations:
                # Mornings at one site, afternoons at the other.
                morning = location == locations[weekday % 2]
                WeeklyAvailability.objects.create(
                    practitioner=practitioner, location=location, weekday=weekday,
                    start_time=time(9) if morning else time(13, 30),
                    end_time=time(12, 30) if morning else time(17, 30))
    tz = zoneinfo.ZoneInfo(clinic.time_zone)
    cleared = [p for p in practitioners
               if any(p.clearance_at(loc, today).cleared for loc in locations)]
    bookings = 0
    for offset in (0, 1, 2):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for practitioner in cleared:
            location = locations[day.weekday() % 2]
            if not practitioner.clearance_at(location, day).cleared:
                continue
            for slot in range(3):
                patient = patients[(bookings * 7) % len(patients)]
                start = datetime.combine(day, time(9 + slot), tzinfo=tz)
                kind = "follow_up" if slot else "initial"
                Appointment.objects.create(
                    clinic=clinic, location=location, practitioner=practitioner,
                    patient=patient, type=types[kind], start=start,
                    end=start + types[kind].duration,
                    busy_until=start + types[kind].duration + types[kind].buffer,
                    booked_by=user)
                bookings += 1


def demo_loaded() -> bool:
    return Clinic.objects.filter(slug=DEMO_SLUG).exists()
