"""The checks every session must pass before the first needle.

The session service (treatment issue) calls `require_needling_allowed`; the
pre-needling check page calls `needling_check` to show the result. The rules
live here, once, not in forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from acuback.accounts import zones
from acuback.accounts.models import Location, Practitioner
from acuback.clinical import points
from acuback.patients.models import Patient

from .selectors import SafetyProfile, patient_holds, register_hold, safety_profile


@dataclass(frozen=True)
class NeedlingCheck:
    allowed: bool
    problems: tuple[str, ...]
    profile: SafetyProfile


class NeedlingRefused(Exception):
    def __init__(self, problems: tuple[str, ...]):
        super().__init__(" ".join(problems))
        self.problems = problems


# The holds registered by apps above this one (an open safety alert) live with the safety
# profile (selectors.register_hold), so every page's summary and this gate read one list.
__all__ = ["NeedlingCheck", "NeedlingRefused", "needling_check", "patient_holds",
           "register_hold", "require_needling_allowed"]


def needling_check(*, patient: Patient, practitioner: Practitioner | None, location: Location,
                   on: date, electroacupuncture: bool, point_codes: list[str],
                   ashi_locations: list[str] = (), adjuncts: list | None = None
                   ) -> NeedlingCheck:
    """Every reason the planned needling may not go ahead, in words; none means go.
    `ashi_locations`: the location of each Ashi site, placed by its words."""
    profile = safety_profile(patient=patient, on=on)
    problems: list[str] = []
    if practitioner is None:
        problems.append("Only a practitioner in the registry may needle.")
    else:
        if practitioner.clinic_id != patient.clinic_id or location.clinic_id != patient.clinic_id:
            problems.append("The practitioner and the location must belong to the patient's "
                            "clinic.")
        clearance = practitioner.clearance_at(location, on)
        if not clearance.cleared:
            problems.append(f"{practitioner.display_name} is not cleared to needle at "
                            f"{location.name}: {clearance.reason}.")
    problems += list(profile.needling_reasons)  # with the holds (an open safety alert)
    # Today at the location where the needling happens (its zone may not be the clinic's).
    if profile.screening is not None and zones.local(profile.screening.signed_at,
                                                     location).date() != on:
        problems.append("No pre-treatment check today: record one before needling.")
    if electroacupuncture:
        problems += [f"Electroacupuncture: {r}" for r in profile.ea_reasons
                     if r != "Needling is not allowed."]
    blocked = set(profile.blocked_points)
    for code in point_codes:
        point = points.lookup(code)
        if points.is_ashi(code):  # "Ashi" typed as a code: a site with no location
            problems += profile.ashi_problems([""])
        elif point is None:
            problems.append(f"{code} is not a known acupoint code.")
        elif point.code in blocked:
            problems.append(f"{point.code} ({point.pinyin}) is blocked for this patient: "
                            f"{profile.reason_for(point.code)}.")
    problems += profile.ashi_problems(list(ashi_locations))
    # Cupping, moxibustion, heat, TENS... checked as the needles are (issue #26 item 9).
    problems += profile.adjunct_problems(adjuncts or [])
    for text in profile.missing_acknowledgements:
        problems.append(f"Acknowledge before the first needle: {text}")
    return NeedlingCheck(not problems, tuple(problems), profile)


def require_needling_allowed(**kwargs) -> NeedlingCheck:
    check = needling_check(**kwargs)
    if not check.allowed:
        raise NeedlingRefused(check.problems)
    return check
