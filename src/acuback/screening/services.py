"""Writes of screenings. One transaction each, each audited. Signed rows never change."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from confusable_homoglyphs import categories, confusables
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from acuback import signing
from acuback.accounts import policy, zones
from acuback.accounts.models import Practitioner
from acuback.audit.services import audit_record
from acuback.clinical.safety import (
    Outcome,
    needs_medical_clearance,
)
from acuback.patients.models import EpisodeOfCare, EpisodeStatus, Patient

from .forms import reset_today_only
from .models import (
    Acknowledgement,
    Allergy,
    ClearanceAllows,
    ClearanceKind,
    EntryStatus,
    LabResult,
    ListReview,
    Medication,
    Problem,
    ReferralClearance,
    Screening,
    ScreeningKind,
    ScreeningStatus,
)
from .selectors import decide_for_patient, finding_clearances


class ScreeningError(Exception):
    """A write the rules refuse; the message is for the user."""


class IncompleteClearance(ScreeningError):
    """A clearance needs more: `missing` maps each field to its message."""

    def __init__(self, missing: dict[str, str]):
        super().__init__(" ".join(missing.values()))
        self.missing = missing


class IncompleteSignature(ScreeningError):
    """Signing needs more: `missing` maps each missing item to its message.

    Items are "referred_to", "patient_told" and "changes.<question>".
    """

    def __init__(self, missing: dict[str, str]):
        super().__init__("Some answers are needed before signing.")
        self.missing = missing


def latest_signed(patient) -> Screening | None:
    return (Screening.objects.signed().filter(patient=patient)
            .order_by("-signed_at", "-pk").first())


def screening_start(*, episode: EpisodeOfCare, kind: str, request: HttpRequest) -> Screening:
    """A draft screening. A pre-treatment check starts from the latest answers."""
    if episode.status == EpisodeStatus.DISCHARGED:
        raise ScreeningError("This episode is discharged: open a new episode to screen again.")
    previous = latest_signed(episode.patient)
    if kind == ScreeningKind.PRE_TREATMENT and previous is None:
        raise ScreeningError("Sign an intake screening before the first pre-treatment check.")
    answers = reset_today_only(previous.answers) if previous else {}
    with transaction.atomic():
        screening = Screening.objects.create(patient=episode.patient, episode=episode, kind=kind,
                                             answers=answers, created_by=request.user)
        audit_record(request=request, action="screening.start", patient=episode.patient,
                     target=screening, detail={"kind": kind})
    return screening


# The pre-treatment check's "has anything changed" questions (ChangesForm).
CHANGE_QUESTIONS = ("medicines", "pregnancy", "symptoms", "red_flags")


def screening_submit(*, screening: Screening, answers: dict, sign: bool, expected_version: int,
                     referred_to: str = "", patient_told: str = "", changes: dict | None = None,
                     request: HttpRequest) -> Screening:
    """Save a draft, or sign. Impossible answers are refused either way (InvalidAnswer)."""
    if sign:
        return screening_sign(screening=screening, answers=answers,
                              expected_version=expected_version, referred_to=referred_to,
                              patient_told=patient_told, changes=changes, request=request)
    decide_for_patient(screening.patient, answers, zones.today_at(screening.patient.clinic))
    return screening_save_draft(screening=screening, answers=answers,
                                expected_version=expected_version, request=request)


def _editor(screening: Screening, request: HttpRequest, *, signing: bool) -> str:
    """A draft screening is its author's (or their supervisor's, recorded as such; the
    clinical lead may type answers in, but the signature is the author's or their
    supervisor's): a colleague starts their own (issue #25)."""
    capacity = policy.draft_editor(request.user, screening.created_by_id,
                                   screening.patient.clinic_id, lead_may_type=not signing)
    if capacity is None:
        raise ScreeningError("This draft screening is a colleague's: only its author (or "
                             "their supervisor) changes or signs it. Start your own.")
    return capacity


def editor_refusal(screening: Screening, request: HttpRequest, *, signing: bool) -> str | None:
    """Why this user may not change (or sign) this draft, or None: what the page shows a
    colleague who posts anyway (the form is not theirs to see)."""
    try:
        _editor(screening, request, signing=signing)
    except ScreeningError as refusal:
        return str(refusal)
    return None


def _as(capacity: str) -> dict:
    return {} if capacity == policy.AUTHOR else {"as": capacity}


def screening_save_draft(*, screening: Screening, answers: dict, expected_version: int,
                         request: HttpRequest) -> Screening:
    capacity = _editor(screening, request, signing=False)
    with transaction.atomic():
        updated = Screening.objects.filter(
            pk=screening.pk, status=ScreeningStatus.DRAFT, version=expected_version
        ).update(answers=answers, version=expected_version + 1, updated_at=timezone.now())
        if not updated:
            raise ScreeningError(_why_not_updated(screening))
        audit_record(request=request, action="screening.save_draft", patient=screening.patient,
                     target=screening, detail=_as(capacity))
    screening.refresh_from_db()
    return screening


def _why_not_updated(screening: Screening) -> str:
    screening.refresh_from_db()
    if screening.is_signed:
        return "This screening is signed and cannot be changed."
    return ("Someone else saved this screening while you were editing. Reload it to see "
            "their answers, then make your changes again.")


def screening_sign(*, screening: Screening, answers: dict, expected_version: int,
                   referred_to: str, patient_told: str, request: HttpRequest,
                   changes: dict | None = None) -> Screening:
    """Run the rules on the answers and sign. The decision is stored with the rule version."""
    capacity = _editor(screening, request, signing=True)
    # With the patient's lists (raises InvalidAnswer naming the field).
    decision = decide_for_patient(screening.patient, answers, zones.today_at(screening.patient.clinic))
    missing: dict[str, str] = {}
    if screening.kind == ScreeningKind.PRE_TREATMENT:
        changes = changes or {}
        for question in CHANGE_QUESTIONS:
            if changes.get(question) is None:
                missing[f"changes.{question}"] = ("Ask the patient this and tick Yes or No "
                                                  "before signing the check.")
    if decision.outcome.is_referral:
        # Say what to do (issue #28 §5), not only that something is missing.
        for name, value, todo in (
                ("referred_to", referred_to, "say where the patient was referred"),
                ("patient_told", patient_told, "say what the patient was told")):
            if not value.strip():
                missing[name] = f"The result is a referral: {todo} before signing."
    if missing:
        raise IncompleteSignature(missing)
    now = timezone.now()
    with transaction.atomic(), signing.signing():
        updated = Screening.objects.filter(
            pk=screening.pk, status=ScreeningStatus.DRAFT, version=expected_version
        ).update(
            answers=answers, changes=changes or {}, decision=decision.as_dict(),
            outcome=decision.outcome.name,
            needling_allowed=decision.needling_allowed,
            electroacupuncture_allowed=decision.electroacupuncture_allowed,
            rule_version=decision.rule_version, referred_to=referred_to.strip(),
            patient_told=patient_told.strip(), status=ScreeningStatus.SIGNED,
            signed_by=request.user, signed_at=now, version=expected_version + 1, updated_at=now)
        if not updated:
            raise ScreeningError(_why_not_updated(screening))
        screening.refresh_from_db()
        # On hold until cleared, unless a clearance carried forward already lifts it.
        if decision.outcome >= Outcome.URGENT and _open_referral(screening):
            EpisodeOfCare.objects.filter(pk=screening.episode_id).update(
                status=EpisodeStatus.ON_HOLD, updated_at=timezone.now())
        # Signing is the review of the lists the decision read.
        ListReview.objects.create(patient=screening.patient, screening=screening,
                                  reviewed_by=request.user)
        audit_record(request=request, action="screening.sign", patient=screening.patient,
                     target=screening, detail={"outcome": decision.outcome.name,
                                               "rule_version": decision.rule_version,
                                               **_as(capacity)})
    screening.refresh_from_db()
    return screening


# Titles and credentials: not part of a person's name, for counting and comparing names.
_NOT_NAME = frozenset({"dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "prof", "professor",
                       "md", "do", "lac", "dacm", "dipl", "om", "phd", "rn", "np", "pa", "dc",
                       "pt", "dpt", "mbbs", "mbchb", "frcp", "frcs", "mrcgp", "facp", "lic"})
# A clearance letter's reference names who wrote it, when, and where it is filed.
MIN_LETTER_CHARS = 15
MIN_LETTER_WORDS = 3


def fold_confusables(text: str) -> str:
    """Each letter of another alphabet that looks like a Latin one, as that Latin letter
    (a Cyrillic "е" in "Mеi Lin" is an "e"): names are compared as they read, not as they
    are encoded (confusable-homoglyphs, the Unicode confusables data)."""
    folded = []
    for char in text:
        if char.isalpha() and categories.alias(char) not in ("LATIN", "COMMON"):
            found = confusables.is_confusable(char, preferred_aliases=["latin"], greedy=True)
            latin = [h["c"] for f in found or [] for h in f["homoglyphs"]
                     if h["n"].startswith("LATIN") and len(h["c"]) == 1]
            char = latin[0] if latin else char
        folded.append(char)
    return "".join(folded)


def name_words(text: str) -> frozenset[str]:
    """The words of a person's name, compared without case, accents, punctuation, titles,
    credentials, initials, a specialty in brackets or look-alike letters of another
    alphabet ("Dr. Méi Lín, L.Ac. (TCM)" -> {mei, lin})."""
    text = fold_confusables(re.sub(r"\([^)]*\)", " ", text))
    text = "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c)).casefold().replace(".", "")
    return frozenset(w for w in re.findall(r"[^\W\d_]+", text)
                     if len(w) > 1 and w not in _NOT_NAME)


def clearing_clinician_problem(name: str, *, own_names: Iterable[tuple[str, str]]
                               ) -> str | None:
    """Why `name` cannot be the clinician who cleared a finding, or None. `own_names`:
    (name, who) of the people who may not clear their own patient's finding."""
    if confusables.is_mixed_script(name, allowed_aliases=["COMMON"]):
        # "Mеi Lin" with a Cyrillic е passed the check against the clinic's practitioners.
        return ("The name mixes letters of different alphabets (for example a Cyrillic "
                "letter among Latin ones): type it again in one alphabet.")
    words = name_words(name)
    if len(words) < 2:
        return ("Give the assessing clinician's first and last name (and role), e.g. "
                "Dr Priya Raman (haematology).")
    for own, who in own_names:
        theirs = name_words(own)
        if len(theirs) >= 2 and (words <= theirs or theirs <= words):
            return (f"The clearing clinician must be the doctor who assessed the patient, not "
                    f"{who}: a medical clearance comes from outside the clinic.")
    return None


def clearance_letter_problem(letter: str) -> str | None:
    """Why `letter` is not a reference to a clearance letter, or None."""
    words = re.findall(r"[^\W\d_]{2,}", letter)
    if len(letter.strip()) < MIN_LETTER_CHARS or len(words) < MIN_LETTER_WORDS:
        return ("Give the letter's reference: who wrote it, its date and where it is filed "
                f"(at least {MIN_LETTER_CHARS} characters and {MIN_LETTER_WORDS} words).")
    return None


def _own_names(screening: Screening, request: HttpRequest, typed: str = ""
               ) -> list[tuple[str, str]]:
    """The recording user, every practitioner of the patient's clinic and the patient
    themself, by name."""
    user = request.user
    mine = [(user.get_full_name(), "yourself (the person recording it)")]
    mine += [(p.display_name, "yourself (the person recording it)")
             for p in Practitioner.objects.filter(user_id=user.pk)]
    clinic = Practitioner.objects.filter(clinic_id=screening.patient.clinic_id)
    for display, first, last in clinic.values_list("display_name", "user__first_name",
                                                   "user__last_name"):
        mine += [(display, f"a practitioner of this clinic ({display})"),
                 (f"{first or ''} {last or ''}", f"a practitioner of this clinic ({display})")]
    patient = screening.patient  # a clearance is never the patient's own word
    mine += [(f"{given} {patient.family_name}", "the patient")
             for given in {patient.given_name, patient.preferred_name} if given]
    # Nor a patient of the clinic: only those whose family name is one of the typed words.
    words = name_words(typed)
    if len(words) >= 2:
        same_family = Q()
        for word in words:
            same_family |= Q(family_name__iexact=word)
        mine += [(f"{given} {family}", "a patient of this clinic")
                 for given, family in Patient.objects.filter(same_family,
                                                             clinic_id=patient.clinic_id)
                 .exclude(pk=patient.pk).values_list("given_name", "family_name")[:50]]
    return mine


def referral_clear(*, screening: Screening, kind: str, note: str, request: HttpRequest,
                   cleared_by_name: str, cleared_on: date | None, letter: str = "",
                   allows: str = ClearanceAllows.NEEDLING,
                   rule_ids: list[str] | None = None) -> list[ReferralClearance]:
    """Clear findings of a signed screening that block needling: who cleared them, when,
    the letter and what it allows. `rule_ids`: which findings; by default the URGENT
    and EMERGENCY referrals. Each clearance is carried forward to later screenings while
    the same answers raise the finding (selectors.clearance_of)."""
    if not screening.is_signed:
        raise ScreeningError("Only a signed screening's findings can be cleared.")
    open_findings = {f["rule"]: f for f, c in finding_clearances(screening) if c is None}
    if rule_ids is None:
        rule_ids = [r for r, f in open_findings.items()
                    if Outcome[f["outcome"]] >= Outcome.URGENT]
    if not rule_ids:
        raise ScreeningError("Nothing on this screening is waiting for a clearance.")
    unknown = [r for r in rule_ids if r not in open_findings]
    if unknown:
        raise ScreeningError(f"Not an open finding that needs a clearance: {', '.join(unknown)}.")
    medical_only = [r for r in rule_ids
                    if needs_medical_clearance(r, Outcome[open_findings[r]["outcome"]])]
    medical = kind == ClearanceKind.MEDICAL_CLEARANCE
    # Project rule: a clearance answers the finding raised in this episode, so it is dated
    # on or after the episode was opened (an older letter predates what it clears).
    opened = screening.episode.opened_on
    missing = {"cleared_by_name": "Say who assessed and cleared it." if not
               cleared_by_name.strip() else clearing_clinician_problem(
                   cleared_by_name, own_names=_own_names(screening, request, cleared_by_name) if medical
                   else []) or "",
               "cleared_on": "Give the date of the assessment or decision." if cleared_on is None
               else "This date is in the future." if cleared_on > timezone.localdate()
               else f"The clearance is dated {cleared_on}, before this episode was opened on "
               f"{opened}: the assessment must be on or after it." if cleared_on < opened
               else "",
               "letter": ("A medical clearance needs its letter." if not letter.strip()
                          else clearance_letter_problem(letter) or "") if medical else "",
               "note": "Give the details or your reasoning." if not note.strip() else "",
               "allows": "" if allows in ClearanceAllows.values else "Choose what it allows.",
               "kind": "Choose how it was cleared." if kind not in ClearanceKind.values
               else f"Only a medical clearance (the assessing clinician, the date and the "
               f"letter) clears {', '.join(medical_only)}, not a reasoned decision to proceed."
               if medical_only and kind != ClearanceKind.MEDICAL_CLEARANCE else ""}
    missing = {k: v for k, v in missing.items() if v}
    if missing:
        raise IncompleteClearance(missing)
    with transaction.atomic():
        clearances = [ReferralClearance.objects.create(
            screening=screening, rule_id=rule, raised_by=open_findings[rule]["note"], kind=kind,
            cleared_by_name=cleared_by_name.strip(), cleared_on=cleared_on,
            letter=letter.strip(), allows=allows, note=note.strip(), recorded_by=request.user)
            for rule in rule_ids]
        if not _open_referral(screening):
            EpisodeOfCare.objects.filter(pk=screening.episode_id,
                                         status=EpisodeStatus.ON_HOLD).update(
                status=EpisodeStatus.OPEN, updated_at=timezone.now())
        audit_record(request=request, action="referral.clear", patient=screening.patient,
                     target=screening, detail={"kind": kind, "rules": list(rule_ids),
                                               "allows": allows})
    return clearances


def _open_referral(screening: Screening) -> bool:
    """An URGENT or EMERGENCY finding no clearance lifts."""
    return any(c is None and Outcome[f["outcome"]] >= Outcome.URGENT
               for f, c in finding_clearances(screening))


def precautions_acknowledge(*, screening: Screening, texts: list[str],
                            request: HttpRequest) -> None:
    required = set((screening.decision or {}).get("acknowledgements", []))
    unknown = set(texts) - required
    if unknown:
        raise ScreeningError("That precaution is not part of this screening.")
    with transaction.atomic():
        for text in texts:
            Acknowledgement.objects.get_or_create(screening=screening, text=text,
                                                  defaults={"acknowledged_by": request.user})
        audit_record(request=request, action="precautions.acknowledge",
                     patient=screening.patient, target=screening, detail={"count": len(texts)})


# --- The medication, allergy and problem lists and results (issue #26 item 4). Nothing
# is deleted: an entry is stopped (resolved) or marked entered in error. Each write is
# one transaction, audited; the safety profile holds needling until the next screening
# reads the change (selectors.latest_signed_screening).

_LIST_ACTIONS = {Medication: "medication", Allergy: "allergy", Problem: "problem",
                 LabResult: "lab_result"}


def list_entry_add(*, model, patient, data: dict, request: HttpRequest):
    """A new entry of one of the lists (`data`: the form's cleaned fields)."""
    with transaction.atomic():
        entry = model.objects.create(patient=patient, recorded_by=request.user, **data)
        audit_record(request=request, action=f"{_LIST_ACTIONS[model]}.add", patient=patient,
                     target=entry, detail={"status": entry.status})
    return entry


def list_entry_stop(*, entry, on: date, request: HttpRequest):
    """Stop a medicine, resolve an allergy or a problem, from `on`."""
    if isinstance(entry, LabResult):
        raise ScreeningError("A result is not stopped: mark it entered in error if it is "
                             "wrong, or record the new result.")
    if not entry.in_force:
        raise ScreeningError("This entry is no longer active.")
    started = getattr(entry, "started_on", None) or getattr(entry, "onset_on", None)
    if started and on < started:
        raise ScreeningError(f"The stop date is before the start ({started:%Y-%m-%d}).")
    if on > zones.today_at(entry.patient.clinic):
        raise ScreeningError("The stop date is in the future.")
    dated = {Medication: {"stopped_on": on}, Problem: {"resolved_on": on}}.get(type(entry), {})
    return _list_entry_change(entry, request, "stop", status=EntryStatus.STOPPED, **dated)


def list_entry_error(*, entry, reason: str, request: HttpRequest):
    """Mark an entry entered in error, with why; it stays on the record, struck out."""
    if entry.status == EntryStatus.ENTERED_IN_ERROR:
        raise ScreeningError("This entry is already marked entered in error.")
    if not reason.strip():
        raise ScreeningError("Say why the entry is in error.")
    return _list_entry_change(entry, request, "entered_in_error",
                              status=EntryStatus.ENTERED_IN_ERROR, error_reason=reason.strip())


def _list_entry_change(entry, request: HttpRequest, action: str, **values):
    model = type(entry)
    with transaction.atomic():
        # Only from the status read: a concurrent change is not overwritten.
        updated = model.objects.filter(pk=entry.pk, status=entry.status).update(
            changed_by=request.user, changed_at=timezone.now(), **values)
        if not updated:
            raise ScreeningError("Someone else changed this entry: reload the page.")
        audit_record(request=request, action=f"{_LIST_ACTIONS[model]}.{action}",
                     patient=entry.patient, target=entry, detail={"status": values["status"]})
    entry.refresh_from_db()
    return entry


def lists_review(*, patient, request: HttpRequest, screening: Screening | None = None
                 ) -> ListReview:
    """The lists were gone through with the patient."""
    with transaction.atomic():
        review = ListReview.objects.create(patient=patient, screening=screening,
                                           reviewed_by=request.user)
        audit_record(request=request, action="lists.review", patient=patient, target=review,
                     detail={"screening": screening.pk if screening else None})
    return review
