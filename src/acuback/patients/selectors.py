"""Reads of patient data, always scoped to the requesting user."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, reduce

from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Lower, Replace

from acuback import sql
from acuback.accounts import zones
from acuback.accounts.models import Location, Practitioner
from acuback.clinical.credentials import Clearance
from acuback.digits import has_foreign_digit

from .models import Consent, ConsentKind, EpisodeOfCare, Patient

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
# Separators people type in a phone number; the digits are what is compared.
PHONE_SEPARATORS = " -().+/"
PHONE_DIGITS = reduce(lambda text, mark: Replace(text, Value(mark), Value("")),
                      PHONE_SEPARATORS, F("phone"))
# Fewer digits are more likely part of an MRN than a phone number (a project rule).
PHONE_MIN_DIGITS = 7


def phone_digits(text: str) -> str | None:
    """The digits of a typed phone number, or None when the text is not one."""
    if has_foreign_digit(text) or set(text) - set(PHONE_SEPARATORS + "0123456789"):
        return None
    digits = "".join(c for c in text if c.isdigit())
    return digits if len(digits) >= PHONE_MIN_DIGITS else None


def phone_spellings(digits: str) -> tuple[str, ...]:
    """The digit strings that are the same number: a NANP number with and without its
    country code 1 ("5035557159", "15035557159"); any other number as it is."""
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return (digits, f"1{digits}") if len(digits) == 10 else (digits,)


def likely_duplicates(*, clinic, given_name: str = "", family_name: str = "",
                      date_of_birth: date | None = None, email: str = "", phone: str = "",
                      exclude_pk: int | None = None) -> QuerySet[Patient]:
    """The clinic's patients who may be the person being registered (issue #28 §4): the
    same name and date of birth, the same e-mail address, or the same phone number. The
    one home of the rule: the front desk's registration and online booking both ask it."""
    match = Q(pk__in=[])
    if given_name.strip() and family_name.strip() and date_of_birth:
        match |= Q(given_name__iexact=given_name.strip(), family_name__iexact=family_name.strip(),
                   date_of_birth=date_of_birth)
    if email.strip():
        match |= Q(email__iexact=email.strip())
    found = Patient.objects.filter(clinic=clinic)
    if phone.strip():
        # The digits are compared, as the patient search does: "(503) 555-7159" is
        # 5035557159 and +1 503 555 7159 (issue #28).
        digits = phone_digits(phone.strip())
        if digits is None:
            match |= Q(phone=phone.strip())
        else:
            found = found.alias(phone_only=PHONE_DIGITS)
            match |= Q(phone_only__in=phone_spellings(digits))
    found = found.filter(match)
    return found.exclude(pk=exclude_pk) if exclude_pk else found


def parse_search_date(text: str) -> date | None:
    if has_foreign_digit(text):  # strptime reads any script's digits
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def patient_search(*, user, query: str = "", archived: bool = False) -> QuerySet[Patient]:
    """Patients the user may see, matching a name, an MRN, a date of birth, an e-mail
    address or a phone number.

    Every word must match the start of a name or the MRN, so "ann smi" finds
    Anna Smith; a date (2001-03-04 or 03/04/2001) matches the date of birth; text with
    an @ the start of the e-mail address; a phone number (7 digits or more, spaces,
    dashes, dots, brackets and a leading + allowed) the end of the phone's digits.
    """
    patients = (Patient.objects.visible_to(user).select_related("clinic")
                .filter(archived_at__isnull=not archived))
    query = query.strip()
    if not query:
        return patients
    dob = parse_search_date(query)
    if dob is not None:
        return patients.filter(date_of_birth=dob)
    if "@" in query:  # an e-mail address: its start, any case (the expression index)
        return patients.alias(email_lower=Lower("email")).filter(
            email_lower__startswith=query.lower())
    digits = phone_digits(query)
    if digits is not None:  # a phone number, typed with or without the country code
        return patients.alias(phone_only=PHONE_DIGITS).filter(
            Q(phone_only__endswith=digits) | Q(mrn__istartswith=query))
    for word in re.split(r"[\s,]+", query):
        if word:
            patients = patients.filter(
                Q(given_name__istartswith=word)
                | Q(family_name__istartswith=word)
                | Q(preferred_name__istartswith=word)
                | Q(mrn__istartswith=word)
            )
    return patients


@dataclass(frozen=True)
class TreatingOption:
    practitioner: Practitioner
    clearance: Clearance


@dataclass(frozen=True)
class LocationClearance:
    location: Location
    options: list[TreatingOption]

    @property
    def cleared(self) -> list[TreatingOption]:
        return [o for o in self.options if o.clearance.cleared]

    @property
    def not_cleared(self) -> list[TreatingOption]:
        return [o for o in self.options if not o.clearance.cleared]


def who_may_treat(*, patient: Patient, on: date) -> list[LocationClearance]:
    """For each location of the patient's clinic, who is cleared to needle there today.
    Two statements, written out in SQL (the chart shows this on every view, and the ORM
    spent 1 ms building them): the locations, and the practitioners joined to their
    credentials, read as plain facts."""
    from acuback.accounts.models import Credential
    from acuback.clinical.credentials import FACT_FIELDS, CredentialFacts, clearance_to_needle

    quote = connection.ops.quote_name
    locations = sql.fetch(Location, "t0.clinic_id = %s AND t0.is_active", [patient.clinic_id],
                          tail="ORDER BY t0.name, t0.id")
    practitioners: dict[int, Practitioner] = {}
    facts: dict[int, list[CredentialFacts]] = {}
    # One row per credential (or one with no credential): LEFT JOIN, in the model's order.
    for row in sql.rows(
            f"SELECT p.id, p.display_name, p.profession, "  # noqa: S608 - names from the models  # nosec B608
            f"{', '.join(f'c.{quote(f)}' for f in FACT_FIELDS)} "
            f"FROM {quote(Practitioner._meta.db_table)} p LEFT JOIN "
            f"{quote(Credential._meta.db_table)} c ON c.practitioner_id = p.id "
            "WHERE p.clinic_id = %s AND p.is_active ORDER BY p.display_name, p.id, c.id",
            [patient.clinic_id]):
        pk = row[0]
        if pk not in practitioners:
            practitioners[pk] = Practitioner(pk=pk, clinic_id=patient.clinic_id,
                                             display_name=row[1], profession=row[2],
                                             is_active=True)
            facts[pk] = []
        if row[3] is not None:  # kind is never empty on a credential
            facts[pk].append(CredentialFacts(*row[3:]))
    return [
        LocationClearance(
            location=location,
            options=[TreatingOption(p, clearance_to_needle(facts[p.pk], location.jurisdiction,
                                                           on)) for p in practitioners.values()],
        )
        for location in locations
    ]


@dataclass(frozen=True)
class ConsentStatus:
    kind: str
    label: str
    consent: Consent | None


def consent_status(*, patient: Patient) -> list[ConsentStatus]:
    """The consent in force for each kind (the latest signed), or None."""
    latest: dict[str, Consent] = {}
    # Written out (the chart and the clinical record read it on every view; the ORM spent
    # 0.4 ms building it): ``in_force().order_by("signed_at")``.
    for consent in sql.fetch(Consent, "t0.patient_id = %s AND t0.withdrawn_at IS NULL",
                             [patient.pk], tail="ORDER BY t0.signed_at, t0.id"):
        # A minor's own signature does not count (clinical.consent).
        if not patient.signer_problem(consent.signed_by_representative,
                                      zones.local(consent.signed_at, patient.clinic).date()):
            latest[consent.kind] = consent
    return [ConsentStatus(kind, label, latest.get(kind)) for kind, label in ConsentKind.choices]


def kinds_in_force(consents: list[ConsentStatus]) -> set[str]:
    return {c.kind for c in consents if c.consent is not None}


def consent_history(*, patient: Patient) -> QuerySet[Consent]:
    return patient.consents.select_related("recorded_by", "withdrawn_by", "form").order_by(
        "-signed_at"
    )


def episodes_with_screenings(*, patient: Patient) -> list:
    """Episodes with their screenings and current plan (3 queries)."""
    from django.db.models import Prefetch

    from acuback.treatment.models import TreatmentPlan

    episodes = list(patient.episodes.prefetch_related(
        "screenings", Prefetch("plans", queryset=TreatmentPlan.objects.filter(is_current=True),
                               to_attr="current_plans")).order_by("-opened_on", "-pk"))
    for episode in episodes:
        episode.current_plan = episode.current_plans[0] if episode.current_plans else None
    return episodes


def retain_until(*, patient: Patient):
    """The earliest date the clinic's retention rule lets the record go: the clinic's
    number of years after the last signed session (or the archiving, if later)."""
    from django.db.models import Max
    from django.utils import timezone

    from acuback.treatment.models import Session

    last_visit = Session.objects.filter(patient=patient, status="signed").aggregate(
        d=Max("session_date"))["d"]
    candidates = [d for d in (last_visit, patient.archived_at and timezone.localdate(patient.archived_at),
                              timezone.localdate(patient.created_at)) if d]
    last = max(candidates)
    years = patient.clinic.record_retention_years
    try:
        return last.replace(year=last.year + years)
    except ValueError:  # 29 February
        return last.replace(year=last.year + years, day=28)


def has_care_relationship(*, user, patient: Patient) -> bool:
    """Whether the user treats or has treated this patient: an appointment (booked,
    checked in or completed: a cancelled or no-show one is no relationship; one booked
    on the public page only once the patient confirmed it; one the practitioner booked
    with themselves only once the patient confirmed it or someone else checked the
    visit in) or a session
    with them, an episode or screening they opened, or they registered the patient. A
    patient with no clinical record yet (no episode) is anyone's to start.
    (``care.care_relationship`` is the same rule as a filter on many patients.)"""
    return care_and_grant(user=user, patient=patient, since=None)[0]


def care_and_grant(*, user, patient: Patient, since: datetime | None) -> tuple[bool, bool]:
    """(care relationship, a break-the-glass grant made after `since`) in one query.

    Written in SQL: it runs on every clinical page a practitioner opens, and the ORM
    spent 2 ms building six EXISTS for a query that takes 0.2 ms."""
    from acuback.scheduling.models import ACTIVE_STATUSES, BookedVia

    from .care import GRANT_ACTION

    with connection.cursor() as cursor:
        cursor.execute(_care_relationship_sql(), {
            "patient": patient.pk, "user": user.pk, "grant": GRANT_ACTION, "since": since,
            "public": str(BookedVia.PUBLIC),
            **{f"status{n}": str(status) for n, status in enumerate(ACTIVE_STATUSES)}})
        care, granted = cursor.fetchone()
        return bool(care), bool(granted) and since is not None


@lru_cache(maxsize=1)
def _care_relationship_sql() -> str:
    from acuback.audit.models import AuditEvent
    from acuback.scheduling.models import ACTIVE_STATUSES, Appointment
    from acuback.screening.models import Screening
    from acuback.treatment.models import Session

    # Table names come from the models, never from input; every value is a parameter.
    tables = {name: connection.ops.quote_name(model._meta.db_table) for name, model in {
        "episode": EpisodeOfCare, "appointment": Appointment, "session": Session,
        "practitioner": Practitioner, "screening": Screening, "audit": AuditEvent,
    }.items()}
    statuses = ", ".join(f"%(status{n})s" for n in range(len(ACTIVE_STATUSES)))
    return _CARE_RELATIONSHIP.format(statuses=statuses, **tables)


_CARE_RELATIONSHIP = (
    "SELECT CASE WHEN"
    " NOT EXISTS (SELECT 1 FROM {episode} e WHERE e.patient_id = %(patient)s)"
    # "IN (practitioner ids)" and not a join: SQLite otherwise walks the practitioner's
    # thousands of sessions instead of the patient's few (0.96 -> 0.01 ms).
    " OR EXISTS (SELECT 1 FROM {appointment} a WHERE a.patient_id = %(patient)s"
    " AND a.status IN ({statuses})"
    # Someone other than the practitioner stands behind it (care.vouched_for): the
    # patient confirmed it, or (not from the public page) someone else booked it or
    # checked the visit in.
    " AND (a.patient_confirmed_at IS NOT NULL OR (a.booked_via <> %(public)s"
    " AND (a.booked_by_id IS NULL OR a.booked_by_id <> %(user)s"
    " OR a.checked_in_by_id <> %(user)s)))"
    " AND a.practitioner_id IN (SELECT p.id FROM {practitioner} p WHERE p.user_id = %(user)s))"
    " OR EXISTS (SELECT 1 FROM {session} s WHERE s.patient_id = %(patient)s"
    " AND s.practitioner_id IN (SELECT p.id FROM {practitioner} p WHERE p.user_id = %(user)s))"
    " OR EXISTS (SELECT 1 FROM {episode} e WHERE e.patient_id = %(patient)s"
    " AND e.created_by_id = %(user)s)"
    " OR EXISTS (SELECT 1 FROM {screening} sc INNER JOIN {episode} e ON e.id = sc.episode_id"
    " WHERE e.patient_id = %(patient)s AND sc.created_by_id = %(user)s)"
    " OR EXISTS (SELECT 1 FROM {audit} ev WHERE ev.patient_id = %(patient)s"
    " AND ev.actor_id = %(user)s AND ev.action = 'patient.create')"
    " THEN 1 ELSE 0 END,"
    # The break-the-glass grant: the user's own audited reason, not yet expired.
    " CASE WHEN EXISTS (SELECT 1 FROM {audit} g WHERE g.patient_id = %(patient)s"
    " AND g.actor_id = %(user)s AND g.action = %(grant)s AND g.at >= %(since)s)"
    " THEN 1 ELSE 0 END")
