"""Writes of plans, sessions, addenda and adverse events.

Every session save runs the safety gate of the screening app
(`require_needling_allowed`); a signed session is never changed (the services
refuse, and database triggers back them up).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from acuback import signing, sql
from acuback.accounts import policy, zones
from acuback.accounts.models import Location, Practitioner
from acuback.audit.models import AuditEvent
from acuback.audit.services import audit_append, audit_event, audit_record
from acuback.clinical import adjuncts as adjunct_rules
from acuback.clinical import cpt, electrodes, points
from acuback.clinical.safety import needle_limit_problems, within_needle_limits
from acuback.outcomes.tasks import charts_draw_later
from acuback.patients.models import EpisodeOfCare, EpisodeStatus
from acuback.screening.enforcement import NeedlingRefused, needling_check, patient_holds
from acuback.screening.selectors import safety_profile

from .models import (
    Addendum,
    AdverseEvent,
    AEType,
    ChestCheck,
    Insertion,
    NeedleSet,
    Session,
    SessionStatus,
    Side,
    TreatmentPlan,
)


class TreatmentError(Exception):
    """A write refused; the message is for the user."""


class StaleDraft(TreatmentError):
    pass


@dataclass(frozen=True)
class PlanProblem:
    field: str
    message: str


# --- plans -------------------------------------------------------------------------

def plan_problems(*, episode: EpisodeOfCare, prescription: list[dict],
                  planned_electroacupuncture: bool, ea_pairs: list[dict] = (),
                  caution_acknowledgements: list[str] = (),
                  adjuncts: list = ()) -> list[PlanProblem]:
    """A plan is checked against the safety profile (points, electroacupuncture and its
    adjunct therapies), its caution points must be acknowledged (safety.md §5) and its
    electrode pairs pass the placement rule (§3.3)."""
    profile = safety_profile(patient=episode.patient, on=zones.today_at(episode.patient.clinic))
    problems = []
    blocked = set(profile.blocked_points)
    for item in prescription:
        code = item.get("code")
        if code and code in blocked:
            point = points.lookup(code)
            problems.append(PlanProblem("prescription", f"{code} ({point.pinyin}) is blocked "
                                        "for this patient by the safety profile: "
                                        f"{profile.reason_for(code)}."))
        elif not code or points.is_ashi(code):  # an Ashi site, by its location's regions
            problems += [PlanProblem("prescription", p)
                         for p in profile.ashi_problems([item.get("location") or ""])]
    ea_blocks = [f["title"] for f in profile.findings
                 if "BLOCK_EA" in f["actions"]]
    if planned_electroacupuncture and ea_blocks:
        problems.append(PlanProblem("planned_electroacupuncture", "Electroacupuncture is not "
                                    "allowed for this patient: " + "; ".join(ea_blocks) + "."))
    for entry in adjunct_rules.normalise(adjuncts):  # each on its own group of boxes
        field = f"adjunct_{entry['kind']}" if entry["kind"] in adjunct_rules.LABELS \
            else "__all__"
        problems += [PlanProblem(field, p) for p in profile.adjunct_problems([entry])]
    unacknowledged = [c for c in points.caution_codes(i.get("code") for i in prescription)
                      if c not in caution_acknowledgements]
    if unacknowledged:
        problems.append(PlanProblem("acknowledge_cautions", "Read the cautions of "
                                    f"{', '.join(unacknowledged)} (listed below) and acknowledge "
                                    "them before saving the plan."))
    return problems + ea_pair_problems(prescription=prescription, ea_pairs=list(ea_pairs),
                                       planned_electroacupuncture=planned_electroacupuncture)



def ea_pair_problems(*, prescription: list[dict], ea_pairs: list[dict],
                     planned_electroacupuncture: bool) -> list[PlanProblem]:
    """Planned electrical stimulation names its pairs, between prescribed points, that
    the placement rule allows (safety.md §3.3)."""
    if planned_electroacupuncture and not ea_pairs:
        return [PlanProblem("ea_pairs", "Electroacupuncture is planned without its electrode "
                            "pairs: name each pair, e.g. “BL23 bilateral - BL25”.")]
    if ea_pairs and not planned_electroacupuncture:
        return [PlanProblem("planned_electroacupuncture", "Electrode pairs are listed: tick "
                            "planned electroacupuncture, or remove the pairs.")]
    rows = [{"point_code": item["code"], "side": item["side"], "needle_set": 1}
            for item in prescription if item.get("code")]
    rows += [{"point_code": pair["code"], "side": pair["side"], "needle_set": 1,
              "stimulation": "electrical", "paired_with": pair["paired_with"],
              "paired_side": pair.get("paired_side", "")} for pair in ea_pairs]
    return [PlanProblem("ea_pairs", p.message.replace("of set 1", "of the prescription"))
            for p in electrodes.pair_problems(rows)]


def plan_save(*, episode: EpisodeOfCare, data: dict, request: HttpRequest,
              plan: TreatmentPlan | None = None,
              expected_version: int | None = None) -> TreatmentPlan:
    problems = plan_problems(episode=episode, prescription=data["prescription"],
                             planned_electroacupuncture=data["planned_electroacupuncture"],
                             ea_pairs=data.get("ea_pairs", []),
                             caution_acknowledgements=data.get("caution_acknowledgements", []),
                             adjuncts=data.get("adjuncts", []))
    if problems:
        raise PlanRefused(problems)
    capacity = policy.AUTHOR
    with transaction.atomic():
        if plan is None:
            TreatmentPlan.objects.filter(episode=episode, is_current=True).update(
                is_current=False)
            plan = TreatmentPlan.objects.create(patient=episode.patient, episode=episode,
                                                created_by=request.user, **data)
            action = "plan.create"
        else:
            capacity = policy.draft_editor(request.user, plan.created_by_id,
                                           episode.patient.clinic_id)
            if capacity is None:
                raise PlanRefused([PlanProblem("__all__", "This plan is a colleague's: only "
                                               "its author (or their supervisor) changes it. "
                                               "Make a new plan instead; it replaces this one "
                                               "under your name.")])
            version = plan.version if expected_version is None else expected_version
            if not TreatmentPlan.objects.filter(pk=plan.pk, version=version).update(
                    **data, version=version + 1, updated_at=timezone.now()):
                raise StaleDraft("Someone else changed this plan while you were editing. "
                                 "Reload it and make your changes again.")
            action = "plan.update"
        audit_record(request=request, action=action, patient=episode.patient, target=plan,
                     detail={"as": capacity} if action == "plan.update"
                     and capacity != policy.AUTHOR else None)
    plan.refresh_from_db()
    return plan


class PlanRefused(TreatmentError):
    def __init__(self, problems: list[PlanProblem]):
        super().__init__(" ".join(p.message for p in problems))
        self.problems = problems


# --- sessions ----------------------------------------------------------------------

def needles_at(side: str) -> int:
    return 2 if side == Side.BILATERAL else 1


def _gate(session: Session, insertions: list[dict], needle_sets: list[dict],
          recorder: Practitioner | None, *, adjuncts: list | None = None):
    """The safety gate for what this save would record, for the person recording it (and
    the session's own practitioner, when a supervisor records), with the adjunct therapies
    given (not at the start: a pre-fill is adjusted before the first save). Raises
    NeedlingRefused."""
    electrical = any(s.get("electrical") for s in needle_sets) or any(
        i.get("stimulation") == "electrical" for i in insertions)
    # An Ashi site (no code, or "Ashi" typed as one) is checked by its location's regions.
    ashi = [i.get("location_text") or "" for i in insertions
            if not i.get("point_code") or points.is_ashi(i["point_code"])]
    codes = [i["point_code"] for i in insertions
             if i.get("point_code") and not points.is_ashi(i["point_code"])]
    checks = [needling_check(patient=session.patient, practitioner=practitioner,
                             location=session.location, on=session.session_date,
                             electroacupuncture=electrical, point_codes=codes,
                             ashi_locations=ashi, adjuncts=adjuncts)
              for practitioner in _distinct(recorder, session.practitioner)]
    problems = list(dict.fromkeys(p for check in checks for p in check.problems))
    if problems:
        raise NeedlingRefused(tuple(problems))
    return checks[0]


def _within_precautions(check, insertions: list[dict]) -> None:
    """A precaution's depth and gauge ceiling (clinical.safety.NEEDLE_LIMITS), at every save
    and at the signature (not at the start: the practitioner adjusts the pre-filled rows)."""
    findings = check.profile.findings
    problems = needle_limit_problems([f["rule"] for f in findings], insertions,
                                     titles={f["rule"]: f["title"] for f in findings})
    if problems:
        raise NeedlingRefused(tuple(problems))


def _distinct(recorder: Practitioner | None, treating: Practitioner) -> list:
    if recorder is not None and recorder.pk == treating.pk:
        return [recorder]
    return [recorder, treating]


def _recorder(session: Session, request: HttpRequest) -> tuple[Practitioner | None, str]:
    """Who records on this draft, and as what: the session's own practitioner, or the
    supervisor named on their record. A colleague is refused (issue #25: a practitioner
    recorded needling in a colleague's note); they start their own session."""
    capacity = policy.draft_editor(request.user, session.practitioner.user_id,
                                   session.patient.clinic_id)
    if capacity == policy.AUTHOR:
        return session.practitioner, capacity
    if capacity == policy.SUPERVISOR:
        return Practitioner.objects.filter(user=request.user,
                                           clinic_id=session.patient.clinic_id).first(), capacity
    raise TreatmentError(f"This session is {session.practitioner.display_name}'s: only they "
                         "(or their supervisor) change it. Start your own session, or add an "
                         "addendum once it is signed.")


def session_start(*, episode: EpisodeOfCare, practitioner: Practitioner | None,
                  location: Location, request: HttpRequest, source: str = "blank") -> Session:
    """A draft session, blank, from the current plan, or copied from the last signed one."""
    if practitioner is None:
        raise TreatmentError("Only a practitioner in the registry can record a session.")
    if episode.status == EpisodeStatus.DISCHARGED:
        raise TreatmentError("This episode is discharged: open a new episode first.")
    # safety.md §2: an open safety alert (PHQ-9 item 9, an emergency reported from home)
    # stops the next session until its follow-up is recorded; the pre-needling check
    # reads the same list (enforcement.patient_holds).
    holds = patient_holds(episode.patient)
    if holds:
        raise TreatmentError(" ".join(holds))
    plan = episode.plans.filter(is_current=True).first()
    insertions, needle_sets, adjuncts = [], [{"order": 1, "face_to_face_minutes": 15,
                                              "electrical": False, "position": ""}], []
    if source == "plan":
        if plan is None:
            raise TreatmentError("This episode has no treatment plan yet.")
        insertions = [_from_plan(item) for item in plan.prescription]
        adjuncts = list(plan.adjuncts)
    elif source == "last":
        last = (Session.objects.filter(episode=episode, status=SessionStatus.SIGNED)
                .order_by("-session_date", "-pk").first())
        if last is None:
            raise TreatmentError("There is no signed session to copy yet.")
        # A caution is acknowledged afresh at each session, never copied.
        insertions = [dict(row, caution_acknowledged=False)
                      for row in last.insertions.values(*INSERTION_FIELDS)]
        needle_sets = list(last.needle_sets.values("order", "position",
                                                   "face_to_face_minutes", "electrical"))
        adjuncts = list(last.adjuncts)
    session = Session(patient=episode.patient, episode=episode, plan=plan,
                      practitioner=practitioner, location=location,
                      session_date=zones.today_at(location), created_by=request.user,
                      adjuncts=adjuncts)
    check = _gate(session, insertions, needle_sets, practitioner)
    # A pre-fill starts within the patient's precaution ceilings (a cleared bleeding
    # disorder, an anticoagulant): the save would refuse anything beyond them.
    limits = [f["rule"] for f in check.profile.findings]
    insertions = [within_needle_limits(limits, row) for row in insertions]
    with transaction.atomic():
        session.pre_treatment_check = check.profile.screening
        session.acknowledgements = list(check.profile.required_acknowledgements)
        for field, value in _counts(insertions, needle_sets).items():
            setattr(session, field, value)
        session.save()
        _write_rows(session, insertions, needle_sets, new=True)
        audit_record(request=request, action="session.start", patient=session.patient,
                     target=session, detail={"source": source})
    return session


INSERTION_FIELDS = ("needle_set", "point_code", "location_text", "side", "depth_mm", "angle",
                    "caution_acknowledged", "gauge_mm", "length_mm", "material",
                    "response_sought", "response_obtained", "stimulation", "manual_technique",
                    "frequency_hz", "intensity", "paired_with", "paired_side",
                    "retention_minutes")


def _from_plan(item: dict) -> dict:
    """A planned point as an insertion row with the usual needle, at a depth within the
    point's ceiling and an angle its caution allows; the practitioner adjusts."""
    point = points.site_point(item.get("code"))
    side, where = item.get("side", "bilateral"), item.get("location", "")
    code = "" if points.is_ashi(item.get("code")) else item.get("code", "")
    return {"needle_set": 1, "point_code": point.code if point else code,
            "location_text": where, "side": side,
            "depth_mm": points.default_depth(point, side, where),
            "angle": points.default_angle(point, side, where), "caution_acknowledged": False,
            "gauge_mm": "0.25", "length_mm": 40, "material": "stainless_steel",
            "response_sought": "deqi", "response_obtained": False, "stimulation": "manual",
            "manual_technique": "", "frequency_hz": None, "intensity": "", "paired_with": "",
            "paired_side": "", "retention_minutes": 20}


def _write_rows(session: Session, insertions: list[dict], needle_sets: list[dict],
                new: bool = False) -> None:
    # Written out (acuback.sql): the ORM spent 1 ms building these four statements on
    # every save. Nothing refers to these rows, so there is no cascade to follow.
    if not new:  # a session just created has no rows to replace
        sql.delete(NeedleSet, {"session": session})
        sql.delete(Insertion, {"session": session})
    sql.insert(NeedleSet, [NeedleSet(session=session, **s) for s in needle_sets])
    sql.insert(Insertion, [
        Insertion(session=session, needles=needles_at(i["side"]),
                  **{k: v for k, v in i.items() if k in INSERTION_FIELDS})
        for i in insertions])


def _counts(insertions: list[dict], needle_sets: list[dict]) -> dict:
    """What the rows say, stored on the session for quick reading and for SQL."""
    return {"needles_inserted": sum(needles_at(i["side"]) for i in insertions),
            "electroacupuncture": any(s.get("electrical") for s in needle_sets)}


def ashi_as_sites(insertions: list[dict]) -> list[dict]:
    """"Ashi" typed as a point code is an Ashi site: stored with no code and its location,
    so every check and the signed note read it by where it is."""
    return [dict(row, point_code="") if points.is_ashi(row.get("point_code")) else row
            for row in insertions]


def session_save(*, session: Session, data: dict, insertions: list[dict],
                 needle_sets: list[dict], expected_version: int,
                 request: HttpRequest) -> Session:
    """Save a draft: every save passes the safety gate; a stale page is refused."""
    insertions = ashi_as_sites(insertions)
    return _save(session=session, data=data, insertions=insertions, needle_sets=needle_sets,
                 expected_version=expected_version, request=request)


class NotSigned(TreatmentError):
    """Save and sign: the draft was saved, only the signature was refused."""

    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons))
        self.reasons = reasons


def session_save_and_sign(*, session: Session, data: dict, insertions: list[dict],
                          needle_sets: list[dict], expected_version: int,
                          request: HttpRequest) -> Session:
    """Save the draft and sign it, as one write: the rows, the signature and both audit
    events commit together, after one safety check. When only the signature is refused
    (a needle unaccounted for, no needle site, not the treating practitioner), the draft
    is saved and NotSigned says why."""
    insertions = ashi_as_sites(insertions)
    _check_rows(session, data, insertions, needle_sets)
    for field, value in (data | _counts(insertions, needle_sets)).items():
        setattr(session, field, value)  # what the signature is checked against
    try:
        signature = _signature(session, insertions, needle_sets, request,
                               version=expected_version + 2)
    except TreatmentError as exc:
        _save(session=session, data=data, insertions=insertions, needle_sets=needle_sets,
              expected_version=expected_version, request=request)
        raise NotSigned([str(exc)]) from exc
    return _save(session=session, data=data, insertions=insertions, needle_sets=needle_sets,
                 expected_version=expected_version, request=request, signature=signature)


def _check_rows(session: Session, data: dict, insertions: list[dict],
                needle_sets: list[dict]) -> None:
    if session.is_signed:
        raise TreatmentError("This session is signed and cannot be changed: add an addendum.")
    inserted = sum(needles_at(i["side"]) for i in insertions)
    removed = data.get("needles_removed") or 0
    if removed > inserted:
        raise TreatmentError(f"Needles removed ({removed}) cannot be more than needles "
                             f"inserted ({inserted}).")
    sets = {s["order"] for s in needle_sets}
    orphans = sorted({i["needle_set"] for i in insertions} - sets)
    if orphans:
        raise TreatmentError(f"Insertions refer to needle set {orphans[0]}, which is not "
                             "recorded: add it under Needle sets.")
    _check_sites(insertions, needle_sets)


def needle_site_problems(insertions: list[dict], needle_sets: list[dict]) -> list[str]:
    """Depth, angle and caution of every site (safety.md §5), and the electrode pairs
    (§3.3): each message names the point and the field."""
    problems = []
    for n, row in enumerate(insertions, 1):
        point = points.site_point(row.get("point_code"))
        ashi = not row.get("point_code") or points.is_ashi(row["point_code"])
        if ashi and not (row.get("location_text") or "").strip():
            problems.append(f"Row {n}: an Ashi site needs its location (e.g. “left L4 "
                            "paraspinal”), so it can be checked against the safety profile.")
        problems += [p.message for p in points.site_problems(
            point=point, side=row.get("side"), depth_mm=row.get("depth_mm"),
            angle=row.get("angle"), length_mm=row.get("length_mm"),
            acknowledged=bool(row.get("caution_acknowledged")),
            location=row.get("location_text", ""))]
    problems += [p.message for p in electrodes.pair_problems(insertions)]
    return problems + electrodes.needle_set_problems(needle_sets, insertions)


def _check_sites(insertions: list[dict], needle_sets: list[dict]) -> None:
    problems = needle_site_problems(insertions, needle_sets)
    if problems:
        raise TreatmentError(" ".join(problems))


def _save(*, session: Session, data: dict, insertions: list[dict], needle_sets: list[dict],
          expected_version: int, request: HttpRequest, signature: dict | None = None) -> Session:
    """Write a draft's fields and rows after the safety gate; with `signature`, sign it in
    the same transaction."""
    _check_rows(session, data, insertions, needle_sets)
    recorder, capacity = _recorder(session, request)
    for field, value in data.items():
        setattr(session, field, value)
    check = _gate(session, insertions, needle_sets, recorder, adjuncts=list(session.adjuncts))
    _within_precautions(check, insertions)
    with transaction.atomic():
        fields = dict(data, pre_treatment_check=check.profile.screening,
                      acknowledgements=list(check.profile.required_acknowledgements),
                      version=expected_version + 1, updated_at=timezone.now(),
                      **_counts(insertions, needle_sets))
        if not sql.update(Session, {"id": session.pk, "version": expected_version,
                                    "status": SessionStatus.DRAFT}, fields):
            raise StaleDraft("Someone else saved this session while you were editing. Reload "
                             "it to see their changes, then make yours again.")
        _write_rows(session, insertions, needle_sets)
        events = [audit_event(request=request, action="session.save", patient=session.patient,
                              target=session, detail={"as": capacity}
                              if capacity != policy.AUTHOR else None)]
        suspected = _suspected_pneumothorax(session, insertions, request)
        if suspected:
            events.append(suspected)
        if signature:  # after the rows: the database refuses changes to a signed session's
            with signing.signing():
                sql.update(Session, {"id": session.pk}, signature)
            fields.update(signature)
            events.append(_signed(session, request))
        audit_append(*events)  # both events chained with one lock and one INSERT
    for field, value in fields.items():  # what the row now holds (a re-read cost 3 queries)
        setattr(session, field, value)
    return session


def session_sign(*, session: Session, expected_version: int, request: HttpRequest) -> Session:
    """Sign a saved draft: the gate again (the draft may be days old), and every needle
    accounted for."""
    if session.is_signed:
        raise TreatmentError("This session is already signed.")
    insertions = list(session.insertions.values(*INSERTION_FIELDS))
    needle_sets = list(session.needle_sets.values("order", "electrical",
                                                  "face_to_face_minutes"))
    _check_sites(insertions, needle_sets)  # a draft from before these rules, or copied
    # Only the treating practitioner signs (_signature refuses anyone else).
    _within_precautions(_gate(session, insertions, needle_sets, session.practitioner,
                              adjuncts=list(session.adjuncts)), insertions)
    signature = _signature(session, insertions, needle_sets, request,
                           version=expected_version + 1)
    with transaction.atomic(), signing.signing():
        if not sql.update(Session, {"id": session.pk, "version": expected_version,
                                    "status": SessionStatus.DRAFT}, signature):
            raise StaleDraft("This session changed since you opened it. Reload it, check it, "
                             "then sign.")
        audit_append(_signed(session, request))
    for field, value in signature.items():
        setattr(session, field, value)
    return session


def _signature(session: Session, insertions: list[dict], needle_sets: list[dict],
               request: HttpRequest, *, version: int) -> dict:
    """The signed fields, or TreatmentError saying why this session cannot be signed."""
    if session.practitioner.user_id != request.user.pk:
        raise TreatmentError("Only the practitioner who gave the treatment signs the session.")
    if not insertions:
        raise TreatmentError("Record at least one needle site before signing.")
    chest = chest_wall_sites(insertions)
    if chest and not session.chest_check:
        raise TreatmentError(f"Needled on the chest wall or upper back ({', '.join(chest)}): "
                             "record the pneumothorax symptom check (chest pain, "
                             "breathlessness, cough) before the patient leaves.")
    if session.needles_removed != session.needles_inserted and not \
            session.adverse_events.filter(type=AEType.RETAINED).exists():
        raise TreatmentError(
            f"Needle count does not reconcile: {session.needles_inserted} inserted, "
            f"{session.needles_removed} removed. Find the missing needle(s), or record a "
            "retained or missing needle incident.")
    # Each set with the needles its sites put in it: a set with none inserted, or marked
    # electrical with no stimulated needle, earns no add-on or e-stim code.
    units = cpt.codes(cpt.sets_from_record(
        needle_sets, [{**i, "needles": needles_at(i["side"])} for i in insertions]),
        min_minutes=_min_minutes(session))
    now = timezone.now()  # a signed note changed: FHIR lastUpdated and $export's _since
    return {"status": SessionStatus.SIGNED, "signed_by": request.user, "signed_at": now,
            "updated_at": now, "version": version, "cpt_codes": units,
            "cpt_rule_version": cpt.RULE_VERSION}


def chest_wall_sites(insertions: list[dict]) -> list[str]:
    """The sites that need the pneumothorax symptom check, named or Ashi: any site over
    the thorax, an EX-B2 at a thoracic (or unrecorded) level, an Ashi site its location
    does not place (points.site_needs_chest_check)."""
    found = []
    for row in insertions:
        point = points.site_point(row.get("point_code"))
        where = row.get("location_text") or ""
        if points.site_needs_chest_check(point, where):
            found.append(point.code if point else f"Ashi: {where or 'no location'}")
    return sorted(set(found))


def _suspected_pneumothorax(session: Session, insertions: list[dict],
                            request: HttpRequest) -> AuditEvent | None:
    """A positive symptom check opens a suspected-pneumothorax adverse event, once per
    session (safety.md §5: EMERGENCY tier); the clinic admin is alerted to it."""
    if session.chest_check != ChestCheck.SYMPTOMS or session.adverse_events.filter(
            type=AEType.PNEUMOTHORAX).exists():
        return None
    chest = ", ".join(chest_wall_sites(insertions)) or "no chest-wall point recorded"
    event = AdverseEvent.objects.create(
        patient=session.patient, session=session, type=AEType.PNEUMOTHORAX,
        severity="needed_treatment", causality="possible", onset_at=timezone.now(),
        created_by=request.user, outcome="ongoing",
        description=f"Suspected pneumothorax: chest pain, breathlessness or cough at the "
        f"symptom check after needling ({chest}). EMERGENCY: needs same-day emergency "
        "assessment.")
    return audit_event(request=request, action="adverse_event.record", patient=session.patient,
                       target=event, detail={"type": event.type, "severity": event.severity})


def _signed(session: Session, request: HttpRequest) -> AuditEvent:
    """What a signature writes besides the session row (inside its transaction); returns
    its audit event for the caller to append with the others of the write."""
    charts_draw_later(session.episode_id)  # the charts mark session days
    return audit_event(request=request, action="session.sign", patient=session.patient,
                       target=session)


def _min_minutes(session: Session) -> int:
    """The primary payer's minimum face-to-face minutes per unit (payer-rule data)."""
    from acuback.billing.models import CoveragePlan

    plan = CoveragePlan.objects.primary_in_force(session.patient_id, session.session_date)
    return plan.payer.min_minutes_per_unit if plan else cpt.DEFAULT_MIN_MINUTES


def addendum_add(*, session: Session, text: str, request: HttpRequest) -> Addendum:
    if not session.is_signed:
        raise TreatmentError("A draft is edited directly; addenda are for signed sessions.")
    text = text.strip()
    if not text:
        raise TreatmentError("Write the addendum.")
    with transaction.atomic():
        with signing.signing():
            addendum = Addendum.objects.create(session=session, text=text, author=request.user)
        audit_record(request=request, action="session.addendum", patient=session.patient,
                     target=addendum)
    return addendum


def adverse_event_record(*, patient, data: dict, request: HttpRequest,
                         session: Session | None = None) -> AdverseEvent:
    if session is not None and session.patient_id != patient.pk:
        raise TreatmentError("That session belongs to another patient.")
    with transaction.atomic():
        event = AdverseEvent.objects.create(patient=patient, session=session,
                                            created_by=request.user, **data)
        audit_record(request=request, action="adverse_event.record", patient=patient,
                     target=event, detail={"type": event.type, "severity": event.severity})
    return event


def needle_incident_record(*, session: Session, description: str, severity: str,
                           request: HttpRequest) -> AdverseEvent:
    """A retained or missing needle: an adverse event the clinic admin is alerted to."""
    if session.is_signed:
        raise TreatmentError("Record the incident on the session before signing it.")
    if not description.strip():
        raise TreatmentError("Say what was searched and what was found.")
    return adverse_event_record(
        patient=session.patient, session=session, request=request,
        data={"type": AEType.RETAINED, "severity": severity, "causality": "certain",
              "onset_at": timezone.now(), "description": description.strip(),
              "action_taken": "Sites, clothing and couch searched; patient informed.",
              "outcome": "ongoing"})


def adverse_event_acknowledge(*, event: AdverseEvent, request: HttpRequest) -> None:
    with transaction.atomic():
        AdverseEvent.objects.filter(pk=event.pk, admin_acknowledged_at__isnull=True).update(
            admin_acknowledged_at=timezone.now())
        audit_record(request=request, action="adverse_event.acknowledge",
                     patient=event.patient, target=event)
