"""ICD-10-CM diagnosis codes: the full code set, billable codes and category headers.

The code set is the CDC/CMS ICD-10-CM release shipped by simple-icd-10-cm (a maintained
package of the official files; coverage-billing.md §4 [ICD-pkg]); `CODE_SET` names the
release in use. A billable code is a leaf of the classification; a category header
(M54.5 since 1 October 2021, M51.36, S33.5 without its 7th character) is refused with the
billable codes beneath it. Billable is not covered: Medicare coverage comes only from the
CMS NCD 30.3.3 list, loaded on the payer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import import_module, metadata, util
from pathlib import Path
from types import ModuleType


@cache
def _icd() -> ModuleType:
    """The code set, loaded on first use: parsing the CMS files takes seconds, which
    every command and worker would otherwise pay at start-up."""
    return import_module("simple_icd_10_cm")


def _release() -> str:
    """"April 2026" from the package's CMS file name (code-list-April-2026.txt), read
    without loading the code set."""
    spec = util.find_spec("simple_icd_10_cm")
    folders = spec.submodule_search_locations if spec else None
    for item in (Path(folders[0]) / "data").iterdir() if folders else ():
        found = re.fullmatch(r"code-list-(\w+)-(\d{4})\.txt", item.name)
        if found:
            return f"{found[1]} {found[2]}"
    return "unknown release"


CODE_SET = (f"ICD-10-CM {_release()} release (CDC/CMS files, simple-icd-10-cm "
            f"{metadata.version('simple-icd-10-cm')})")

# Specific causes of back pain: a diagnosis that says the pain is not "nonspecific"
# (NCD 30.3.3's definition; coverage-billing.md §4 lists these as specific causes). A code
# that raises a red flag (SAFETY_RANGES, RF-*) is a specific cause too.
SPECIFIC_CAUSES = frozenset({"G83.4", "M45.6", "M45.7", "M46.46", "M46.47"})
SPECIFIC_CAUSES_SOURCE = "coverage-billing.md §4 (specific causes)"
HEADER_EXAMPLES_SHOWN = 8


@dataclass(frozen=True)
class Diagnosis:
    code: str
    description: str
    specific_cause: bool = False  # feeds the "not nonspecific" exclusion
    # The safety rule (clinical.safety) a coded serious cause raises until it is cleared.
    safety_rule: str = ""


@dataclass(frozen=True)
class SafetyRange:
    """Every billable ICD-10-CM code under `prefix` (a code or a category) raises `rule`
    until it is cleared. `encounters`: the 7th characters covered (injury codes: A and B
    are the initial encounter); empty means every code under the prefix."""

    prefix: str
    rule: str
    why: str  # the rationale, in words (docs/clinical-safety.md)
    sources: tuple[str, ...]  # keys of docs/reference/safety.md's sources
    encounters: str = ""
    # The screening question (clinical.safety.Answers field) an explicit "no" to which the
    # code contradicts: the two are reconciled, not one silently winning.
    contradicts: str = ""


# Traumatic fractures of the vertebral column: cervical C1-C7 (S12.0-S12.6) and unspecified
# (S12.9; S12.8 is the hyoid and larynx, not a vertebra), thoracic, lumbar, sacrum, coccyx.
_VERTEBRAL_FRACTURES = ("S12.0", "S12.1", "S12.2", "S12.3", "S12.4", "S12.5", "S12.6", "S12.9",
                        "S22.0", "S32.0", "S32.1", "S32.2")
_INITIAL = "AB"  # initial encounter, closed or open fracture
_LATER = "DGKS"  # subsequent encounters (healing, delayed, nonunion) and sequela

# Serious causes a referral letter or an imported record may code. Each range is checked
# against the release (a test: every prefix is a code of it with billable codes beneath);
# docs/clinical-safety.md lists them with their rationale and sources.
_CANCER = "history_of_cancer"
_BLEEDING = "bleeding_disorder"

SAFETY_RANGES: tuple[SafetyRange, ...] = (
    SafetyRange("G83.4", "RF-01", "cauda equina syndrome (safety.md RF-01 names the code)",
                ("Glos", "BMJ-CES")),
    SafetyRange("G95.2", "RF-02", "cord compression, other or unspecified: a severe "
                "neurological cause, RF-02's emergency (ACP: immediate imaging)",
                ("ACP2011", "NHS-slide")),
    SafetyRange("C41.2", "RF-04", "primary malignancy of the vertebral column",
                ("ACP2011", "Glos"), contradicts=_CANCER),
    SafetyRange("C41.4", "RF-04", "primary malignancy of the pelvic bones, sacrum and coccyx",
                ("ACP2011", "Glos"), contradicts=_CANCER),
    SafetyRange("C79.5", "RF-04", "secondary malignancy of bone or bone marrow (spinal "
                "metastasis; with a neurological symptom RF-03)", ("ACP2011", "Glos", "NG234"),
                contradicts=_CANCER),
    SafetyRange("C90.0", "RF-04", "multiple myeloma (a malignancy of the bone marrow that "
                "destroys vertebrae)", ("ACP2011", "Glos"), contradicts=_CANCER),
    SafetyRange("C72.0", "RF-04", "malignancy of the spinal cord", ("ACP2011", "Glos"),
                contradicts=_CANCER),
    SafetyRange("C72.1", "RF-04", "malignancy of the cauda equina", ("ACP2011", "Glos"),
                contradicts=_CANCER),
    SafetyRange("M84.58", "RF-04", "pathological fracture in neoplastic disease, other "
                "specified site (the vertebrae are coded here): a spinal malignancy with "
                "a fracture", ("ACP2011", "Glos"), contradicts=_CANCER),
    SafetyRange("M84.48", "RF-08", "pathological fracture, other site (the vertebrae are "
                "coded here): a known fracture, no pressure or deep needling over the spine "
                "until cleared", ("Glos", "ACP2011")),
    SafetyRange("M46.2", "RF-06", "vertebral osteomyelitis, any level", ("Glos", "ACP2011")),
    SafetyRange("M46.3", "RF-06", "pyogenic infection of an intervertebral disc, any level",
                ("Glos", "ACP2011")),
    SafetyRange("M46.4", "RF-06", "discitis, any level", ("Glos", "ACP2011")),
    SafetyRange("M46.5", "RF-06", "other infective spondylopathy, any level",
                ("Glos", "ACP2011")),
    SafetyRange("G06.1", "RF-06", "intraspinal abscess", ("Glos", "ACP2011")),
    SafetyRange("A18.01", "RF-06", "tuberculosis of the spine", ("Glos", "ACP2011")),
    *(SafetyRange(p, "RF-07", "traumatic fracture of a vertebra, initial encounter (an acute "
                  "fracture: RF-07's tier)", ("Glos", "NHS-slide"), _INITIAL)
      for p in _VERTEBRAL_FRACTURES),
    *(SafetyRange(p, "RF-08", "traumatic fracture of a vertebra, later encounter or sequela "
                  "(a known fracture: no pressure or deep needling over the spine until "
                  "cleared)", ("Glos", "ACP2011"), _LATER)
      for p in _VERTEBRAL_FRACTURES),
    SafetyRange("M48.5", "RF-08", "collapsed vertebra (compression fracture), any level",
                ("Glos", "ACP2011", "NHS-slide")),
    SafetyRange("M80.08", "RF-08", "age-related osteoporosis with a current vertebral fracture",
                ("Glos", "ACP2011", "NHS-slide"), contradicts="osteoporosis"),
    SafetyRange("M80.88", "RF-08", "other osteoporosis with a current vertebral fracture",
                ("Glos", "ACP2011", "NHS-slide"), contradicts="osteoporosis"),
    SafetyRange("I71.0", "RF-09", "aortic dissection, any site: a vascular emergency like "
                "RF-09's (project rule: the reference names no separate dissection rule)",
                ("BMJ-AAA", "Relias")),
    SafetyRange("I71.3", "RF-09", "abdominal aortic aneurysm, ruptured", ("BMJ-AAA", "Relias")),
    SafetyRange("I71.4", "RF-09", "abdominal aortic aneurysm without rupture: with back pain, "
                "a symptomatic aneurysm until assessed", ("BMJ-AAA", "Relias")),
    SafetyRange("I71.5", "RF-09", "thoracoabdominal aortic aneurysm, ruptured",
                ("BMJ-AAA", "Relias")),
    SafetyRange("I71.6", "RF-09", "thoracoabdominal aortic aneurysm without rupture",
                ("BMJ-AAA", "Relias")),
    SafetyRange("M53.2", "CI-SPINE", "spinal instability, any level", ("AACP-list",),
                contradicts="spinal_instability"),
    SafetyRange("M43.3", "CI-SPINE", "recurrent atlantoaxial dislocation with myelopathy "
                "(instability at C1-C2)", ("AACP-list",), contradicts="spinal_instability"),
    SafetyRange("M43.4", "CI-SPINE", "other recurrent atlantoaxial dislocation (instability at "
                "C1-C2)", ("AACP-list",), contradicts="spinal_instability"),
    # The whole ICD-10-CM block D65-D69, "Coagulation defects, purpura and other
    # hemorrhagic conditions" (WHO's heading is "bleeding disorders"), each category at once,
    # so a code the list did not name (acquired haemophilia D68.311, DIC D65, D68.9) is not
    # read as harmless. Project rule (issue #26 clinician re-test), conservative: the block
    # is mapped whole, thrombophilias (D68.5-, D68.6-) and the purpuras (D69.0, D69.2)
    # included; the hold is lifted by a physician's clearance, the bleeding precaution stays.
    *(SafetyRange(p, "CI-BLEEDING", why, ("WHO1999-TOC", "Sierpina"), contradicts=_BLEEDING)
      for p, why in (("D65", "disseminated intravascular coagulation"),
                     ("D66", "haemophilia A (hereditary factor VIII deficiency)"),
                     ("D67", "haemophilia B (hereditary factor IX deficiency)"),
                     ("D68", "other coagulation defects (von Willebrand disease, other "
                      "factor deficiencies, acquired haemophilia, acquired coagulation "
                      "factor deficiency, thrombophilias, unspecified)"),
                     ("D69", "purpura and other haemorrhagic conditions (platelet defects, "
                      "thrombocytopenias)"))),
    # Pancytopenia: every blood cell line low, platelets among them, so the same bleeding
    # risk as the thrombocytopenias of D69 (project rule).
    SafetyRange("D61.81", "CI-BLEEDING", "pancytopenia (low platelets among all three cell "
                "lines)", ("WHO1999-TOC", "Sierpina"), contradicts=_BLEEDING),
    SafetyRange("Z79.01", "CI-ANTICOAG", "long-term (current) use of anticoagulants",
                ("BAcC-anticoag", "AACP-list"), contradicts="takes_listed_medicines"),
    SafetyRange("Z95.0", "CI-DEVICE", "presence of a cardiac pacemaker",
                ("Sierpina", "BAcC-pacemaker", "Cummings2011"),
                contradicts="has_implanted_device"),
    SafetyRange("Z33.1", "CI-PREGNANCY", "pregnant state", ("WHO1999-2.1", "AACP"),
                contradicts="pregnant"),
    SafetyRange("M45", "RF-10", "ankylosing spondylitis (axial spondyloarthritis, NG65): "
                "known, so a rheumatology follow-up rather than a new referral",
                ("NG65", "NHSL-axSpA")),
)


def safety_range(code: str) -> SafetyRange | None:
    """The range a code falls under (the longest prefix), or None."""
    code = normalise(code)
    found = [r for r in SAFETY_RANGES if code.startswith(r.prefix)
             and (not r.encounters or code[-1] in r.encounters)]
    return max(found, key=lambda r: len(r.prefix), default=None)


def contradictions(codes: Iterable[str]) -> dict[str, list[str]]:
    """For each screening question a code contradicts when answered "no", the codes."""
    found: dict[str, list[str]] = {}
    for code in sorted({normalise(c) for c in codes}):
        r = safety_range(code)
        if r is not None and r.contradicts:
            found.setdefault(r.contradicts, []).append(code)
    return found


def safety_rule(code: str) -> str:
    """The safety rule a coded serious cause raises ("" for none)."""
    found = safety_range(code)
    return found.rule if found else ""


def normalise(code: str) -> str:
    """Upper case with the dot after the third character (m5450 -> M54.50)."""
    code = code.strip().upper().replace(" ", "")
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    return code


@cache
def _billable(code: str) -> bool:
    return bool(_icd().is_valid_item(code) and _icd().is_leaf(code))


def is_billable(code: str) -> bool:
    return _billable(normalise(code))


class _CodeSet(Mapping[str, Diagnosis]):
    """The billable codes of the release, by code (looked up, not listed: 74,000 codes)."""

    def __getitem__(self, code: str) -> Diagnosis:
        if not isinstance(code, str) or not _billable(code):
            raise KeyError(code)
        rule = safety_rule(code)
        return Diagnosis(code, _icd().get_description(code),
                         code in SPECIFIC_CAUSES or rule.startswith("RF-"), rule)

    def __iter__(self) -> Iterator[str]:
        return (c for c in _icd().get_all_codes(with_dots=True) if _billable(c))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and _billable(code)


BY_CODE: Mapping[str, Diagnosis] = _CodeSet()


def coded_for(codes: Iterable[str], rule_id: str) -> list[Diagnosis]:
    """The diagnoses among `codes` that raise the safety rule `rule_id`."""
    return [BY_CODE[c] for c in sorted({normalise(c) for c in codes})
            if c in BY_CODE and safety_rule(c) == rule_id]


def check(code: str) -> str | None:
    """None for a billable ICD-10-CM code; otherwise the message to show."""
    code = normalise(code)
    if _billable(code):
        return None
    icd = _icd()
    if icd.is_valid_item(code) and not icd.is_chapter_or_block(code):
        beneath = [c for c in icd.get_descendants(code) if icd.is_leaf(c)]
        shown = ", ".join(beneath[:HEADER_EXAMPLES_SHOWN])
        more = len(beneath) - HEADER_EXAMPLES_SHOWN
        return (f"{code} is a category header, not billable: use {shown}"
                f"{f' (or one of {more} more)' if more > 0 else ''}.")
    return f"{code} is not an ICD-10-CM code ({CODE_SET})."


def is_specific_cause(code: str) -> bool:
    code = normalise(code)
    return code in SPECIFIC_CAUSES or safety_rule(code).startswith("RF-")
