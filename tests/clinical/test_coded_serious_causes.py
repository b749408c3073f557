"""Issue #26, item 2 of the third safety pass: a coded serious diagnosis outside the few
lumbar codes raised nothing (thoracic or cervical discitis, vertebral fractures at other
levels, multiple myeloma, bone metastases, aortic aneurysm). The mapping is now by
ICD-10-CM code range (prefix), each with its rationale and sources, checked against the
code set the project ships."""

from __future__ import annotations

import dataclasses
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acuback.clinical import diagnoses
from acuback.clinical.safety import RULES, Answers, Outcome, decide

YES_NO = [f.name for f in dataclasses.fields(Answers) if f.type == "bool | None"]
CLEAR = Answers(**dict.fromkeys(YES_NO, False), age=50, sex_at_birth="female",
                back_pain_onset_age=50, back_pain_duration_weeks=30.0, first_back_pain_age=50)


def fired(decision) -> dict:
    return {f.rule_id: f for f in decision.findings}


def coded(code: str) -> Answers:
    """CLEAR with the code, and "yes" to the question a "no" to which the code contradicts
    (a coded haemophilia with "bleeding disorder? no" is refused)."""
    agrees = dict.fromkeys(diagnoses.contradictions([code]), True)
    return dataclasses.replace(CLEAR, diagnosis_codes=frozenset({code}), **agrees)


# The examples of the brief, each decided only by its code (no answer says anything).
@pytest.mark.parametrize(("code", "rule", "outcome"), [
    ("M46.45", "RF-06", Outcome.URGENT),     # discitis, lumbar
    ("M46.44", "RF-06", Outcome.URGENT),     # discitis, thoracic
    ("M46.22", "RF-06", Outcome.URGENT),     # osteomyelitis of vertebra, cervical
    ("M46.34", "RF-06", Outcome.URGENT),     # pyogenic disc infection, thoracic
    ("M46.52", "RF-06", Outcome.URGENT),     # other infective spondylopathy, cervical
    ("S22.000A", "RF-07", Outcome.EMERGENCY),  # thoracic vertebral fracture, initial
    ("S32.010A", "RF-07", Outcome.EMERGENCY),  # L1 fracture, initial
    ("S12.100A", "RF-07", Outcome.EMERGENCY),  # C2 fracture, initial
    ("S22.000D", "RF-08", Outcome.SOON),       # the same thoracic fracture, healing
    ("M48.54XA", "RF-08", Outcome.SOON),       # collapsed vertebra, thoracic
    ("M80.08XD", "RF-08", Outcome.SOON),       # osteoporotic vertebral fracture, healing
    ("C90.00", "RF-04", Outcome.URGENT),       # multiple myeloma
    ("C79.52", "RF-04", Outcome.URGENT),       # secondary malignancy of bone marrow
    ("G83.4", "RF-01", Outcome.EMERGENCY),     # cauda equina syndrome
    ("I71.40", "RF-09", Outcome.EMERGENCY),    # AAA without rupture (2026 codes)
    ("I71.33", "RF-09", Outcome.EMERGENCY),    # infrarenal AAA, ruptured
    ("M53.2X4", "CI-SPINE", Outcome.PRECAUTIONS),  # spinal instability, thoracic
    ("D66", "CI-BLEEDING", Outcome.PRECAUTIONS),   # haemophilia A
])
def test_a_coded_serious_cause_raises_its_rule_naming_the_code_and_blocks(code, rule, outcome):
    d = decide(coded(code))
    assert rule in fired(d), fired(d)
    assert code in fired(d)[rule].note
    assert fired(d)[rule].outcome is outcome
    assert not d.needling_allowed


@pytest.mark.parametrize("code", ["M54.50", "M54.41", "M54.16", "M80.051A",
                                  "S12.8XXA", "D50.9"])
def test_codes_outside_the_ranges_raise_nothing(code):
    """Ordinary back pain, a non-vertebral osteoporotic fracture (femur), the hyoid or
    larynx (S12.8) and an iron-deficiency anaemia raise no rule here."""
    assert diagnoses.check(code) is None, code
    d = decide(dataclasses.replace(CLEAR, diagnosis_codes=frozenset({code})))
    assert d.findings == () and d.needling_allowed


def test_every_range_names_a_code_of_the_release_with_billable_codes_beneath():
    cm = pytest.importorskip("simple_icd_10_cm")
    rules = {r.id for r in RULES}
    for r in diagnoses.SAFETY_RANGES:
        assert cm.is_valid_item(r.prefix), r.prefix
        assert codes_under(r), r
        assert r.rule in rules and r.why and r.sources, r


@cache
def codes_under(r: diagnoses.SafetyRange) -> tuple[str, ...]:
    cm = __import__("simple_icd_10_cm")
    beneath = [r.prefix] if cm.is_leaf(r.prefix) else cm.get_descendants(r.prefix)
    return tuple(c for c in beneath if cm.is_leaf(c)
                 and (not r.encounters or c[-1] in r.encounters))


@cache
def all_mapped() -> tuple[tuple[str, str], ...]:
    return tuple((c, r.rule) for r in diagnoses.SAFETY_RANGES for c in codes_under(r))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_billable_code_under_a_mapped_prefix_raises_its_rule(data):
    code, rule = data.draw(st.sampled_from(all_mapped()))
    assert diagnoses.BY_CODE[code].safety_rule == rule
    d = decide(coded(code))
    assert rule in fired(d) and code in fired(d)[rule].note
    if rule in PRECAUTION_ONLY:
        assert fired(d)[rule].acknowledgement or fired(d)[rule].blocked_points
    else:
        assert not d.needling_allowed


# Codes that raise a precaution (acknowledgement, blocked points or electroacupuncture),
# not a hold on all needling: as the rule they feed does for the answer.
PRECAUTION_ONLY = frozenset({"CI-ANTICOAG", "CI-DEVICE", "CI-PREGNANCY", "RF-10"})


def test_ranges_do_not_overlap_with_different_rules():
    """One home for each code: a code under two ranges would depend on their order."""
    seen: dict[str, str] = {}
    for code, rule in all_mapped():
        assert seen.setdefault(code, rule) == rule, code


def test_a_red_flag_code_is_a_specific_cause_and_a_condition_code_is_not():
    assert diagnoses.is_specific_cause("C90.00") and diagnoses.BY_CODE["S22.000A"].specific_cause
    assert not diagnoses.is_specific_cause("D66")
    assert not diagnoses.BY_CODE["M53.2X4"].specific_cause
