"""Issue #26 clinician re-test: coded bleeding disorders outside the few mapped codes
(acquired haemophilia D68.311, D68.32, D68.4, D68.9, DIC D65, pancytopenia D61.818) were
accepted with "bleeding disorder? no" and raised nothing. The whole ICD-10-CM block D65-D69
and pancytopenia (D61.81-) raise CI-BLEEDING, naming the code, until cleared."""

from __future__ import annotations

import dataclasses

import pytest

from acuback.clinical import diagnoses
from acuback.clinical.safety import InvalidAnswer, decide
from tests.clinical.test_coded_serious_causes import CLEAR, coded, fired

RE_TEST = ["D68.311", "D68.32", "D68.4", "D68.9", "D65", "D61.818"]


@pytest.mark.parametrize("code", RE_TEST + ["D61.810", "D68.8", "D69.9", "D69.0", "D68.51"])
def test_a_coded_bleeding_condition_raises_the_bleeding_rule_naming_the_code(code):
    assert diagnoses.safety_rule(code) == "CI-BLEEDING", code
    d = decide(coded(code))
    assert "CI-BLEEDING" in fired(d) and code in fired(d)["CI-BLEEDING"].note
    assert not d.needling_allowed  # held until a physician's clearance (safety.md §3.2)


@pytest.mark.parametrize("code", RE_TEST)
def test_it_contradicts_an_explicit_no_to_the_bleeding_question(code):
    with pytest.raises(InvalidAnswer) as refused:
        decide(dataclasses.replace(CLEAR, diagnosis_codes=frozenset({code}),
                                   bleeding_disorder=False))
    assert refused.value.field == "bleeding_disorder" and code in refused.value.message


def test_the_whole_block_is_mapped_as_the_release_has_it():
    cm = pytest.importorskip("simple_icd_10_cm")
    block = [c for cat in cm.get_children("D65-D69")
             for c in ([cat] if cm.is_leaf(cat) else cm.get_descendants(cat)) if cm.is_leaf(c)]
    assert len(block) == 40  # the April 2026 release
    assert [c for c in block if diagnoses.safety_rule(c) != "CI-BLEEDING"] == []
    assert all(diagnoses.safety_rule(c) == "CI-BLEEDING"
               for c in cm.get_descendants("D61.81"))
