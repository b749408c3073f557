"""Clinician re-test of issue #26: after a medical clearance of a bleeding disorder
(haemophilia D66) the pre-needling check said "Needling may proceed" with nothing to
acknowledge, and BL23 at 45 mm with a 0.35 x 50 mm needle was signed. A clearance lifts
the hold on needling, never the precaution: the finding's acknowledgement and needle
ceilings stay in force after it."""

from __future__ import annotations

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuback.clinical import diagnoses
from acuback.clinical.safety import NEEDLE_LIMITS, Answers, decide
from acuback.screening import services as screening_services
from acuback.screening.enforcement import NeedlingRefused, needling_check
from acuback.screening.selectors import finding_clearances
from tests.factories import CLEAR_ANSWERS, clinic_today, make_signed_screening, request_for
from tests.treatment.test_needle_sites import save, site, start

# Every finding that blocks needling until a medical clearance and carries a precaution
# for the needling the clearance then allows.
BLOCKING_WITH_PRECAUTION = [
    ({"bleeding_disorder": True}, "CI-BLEEDING"),
    ({"diagnosis_codes": ["D66"], "bleeding_disorder": None}, "CI-BLEEDING"),
    ({"diagnosis_codes": ["D67"], "bleeding_disorder": True}, "CI-BLEEDING"),
    ({"spinal_instability": True}, "CI-SPINE"),
    ({"severe_neutropenia": True}, "CI-NEUTROPENIA"),
    ({"takes_listed_medicines": True,
      "medication_classes": ["anticoagulant", "antiplatelet"]}, "CI-ANTITHROMBOTIC-2"),
]
BLEEDING_RISK = ("CI-BLEEDING", "CI-ANTITHROMBOTIC-2")


def clear(world, screening, rule):
    return screening_services.referral_clear(
        screening=screening, rule_ids=[rule], kind="medical_clearance",
        note="Assessed; needling may go ahead with care.",
        cleared_by_name="Dr Anna Haematologist", cleared_on=timezone.localdate(),
        letter="Haematology clinic letter of 3 December, filed in the chart.",
        request=request_for(world.practitioner))


def check(world):
    return needling_check(patient=world.patient, practitioner=world.practitioner_record,
                          location=world.location, on=clinic_today(world.location),
                          electroacupuncture=False, point_codes=["BL23"])


@pytest.mark.parametrize(("answers", "rule"), BLOCKING_WITH_PRECAUTION)
def test_the_precaution_stays_after_the_clearance(ready, answers, rule):
    screening = make_signed_screening(ready.patient, ready.practitioner,
                                      episode=ready.episode, referred_to="GP",
                                      patient_told="See your doctor first.", **answers)
    finding = next(f for f in screening.decision["findings"] if f["rule"] == rule)
    assert finding["acknowledgement"], f"{rule} blocks but carries no precaution"
    clear(ready, screening, rule)
    result = check(ready)
    assert not result.allowed
    assert any(finding["acknowledgement"] in p for p in result.problems), result.problems
    if rule in BLEEDING_RISK:
        assert rule in NEEDLE_LIMITS


def test_haemophilia_cleared_still_refuses_a_deep_thick_needle(ready):
    screening = make_signed_screening(ready.patient, ready.practitioner,
                                      episode=ready.episode, diagnosis_codes=["D66"],
                                      bleeding_disorder=True)
    clear(ready, screening, "CI-BLEEDING")
    screening_services.precautions_acknowledge(
        screening=screening, texts=list(screening.decision["acknowledgements"]),
        request=request_for(ready.practitioner))
    session = start(ready)
    with pytest.raises(NeedlingRefused, match="Row 1 \\(BL23\\): depth 45"):
        save(ready, session, [site("BL23", depth_mm="45", gauge_mm="0.35", length_mm=50)],
             removed=2)
    saved = save(ready, session, [site("BL23", depth_mm="8", gauge_mm="0.20", length_mm=25)],
                 removed=2)
    assert saved.needles_inserted == 2


BLOCKING_ANSWERS = st.fixed_dictionaries({}, optional={
    "bleeding_disorder": st.just(True), "spinal_instability": st.just(True),
    "severe_neutropenia": st.just(True),
    "diagnosis_codes": st.sampled_from([frozenset({"D66"}), frozenset({"D69.6"}),
                                        frozenset({"M53.2X6"})]),
    "medication_classes": st.sampled_from([frozenset({"anticoagulant"}),
                                           frozenset({"anticoagulant", "antiplatelet"})]),
})


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=BLOCKING_ANSWERS,
       chosen=st.sets(st.sampled_from(["CI-BLEEDING", "CI-SPINE", "CI-NEUTROPENIA",
                                       "CI-ANTITHROMBOTIC-2"]), min_size=1))
def test_clearing_never_removes_an_acknowledgement_or_a_needle_limit(ready, answers, chosen):
    """Property: whichever blocking findings are cleared, every acknowledgement and needle
    ceiling the decision carried is still required at the pre-needling check."""
    if "medication_classes" in answers:
        answers["takes_listed_medicines"] = True
    # A code agrees with its question (a "no" it contradicts is refused).
    answers.update(dict.fromkeys(diagnoses.contradictions(answers.get("diagnosis_codes", [])),
                                 True))
    decision = decide(Answers(**{**CLEAR_ANSWERS, **answers}))
    blocking = [f.rule_id for f in decision.findings
                if "BLOCK_NEEDLING" in {a.value for a in f.actions}]
    if not blocking:
        return
    ready.episode.refresh_from_db()
    screening = make_signed_screening(ready.patient, ready.practitioner,
                                      episode=ready.episode, referred_to="GP",
                                      patient_told="See your doctor first.", **answers)
    # A clearance from an earlier example carries forward (same answers): only the open
    # ones can be cleared now.
    still_open = [f["rule"] for f, c in finding_clearances(screening) if c is None]
    for rule in sorted(chosen & set(still_open)):
        clear(ready, screening, rule)
    profile = check(ready).profile
    carried = {f.acknowledgement for f in decision.findings if f.acknowledgement}
    assert carried <= set(profile.missing_acknowledgements)
    limits = {f.rule_id for f in decision.findings if f.rule_id in NEEDLE_LIMITS}
    assert limits <= {f["rule"] for f in profile.findings}
    # A bleeding risk, cleared or not, always carries the superficial, fine-needle ceiling.
    if {"CI-BLEEDING"} & set(blocking):
        assert "CI-BLEEDING" in limits
