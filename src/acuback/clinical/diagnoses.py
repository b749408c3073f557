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
from collections.abc import Iterator, Mapping
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
# (NCD 30.3.3's definition; coverage-billing.md §4 lists these as specific causes).
SPECIFIC_CAUSES = frozenset({"G83.4", "M45.6", "M45.7", "M46.46", "M46.47",
                             # serious causes coded from referrals (SAFETY_RULES)
                             "M46.26", "M46.27", "C41.2", "C79.51", "S32.009A", "M48.56XA",
                             "M80.08XA"})
SPECIFIC_CAUSES_SOURCE = "coverage-billing.md §4 (specific causes)"
HEADER_EXAMPLES_SHOWN = 8


@dataclass(frozen=True)
class Diagnosis:
    code: str
    description: str
    specific_cause: bool = False  # feeds the "not nonspecific" exclusion
    # The safety rule (clinical.safety) a coded serious cause raises until it is cleared.
    safety_rule: str = ""


# Serious specific causes that raise a safety rule (clinical.safety) until cleared: a
# referral letter or an imported record may code them. Each is a billable code of the
# release (a test checks them all against it); docs/clinical-safety.md gives the rules.
SAFETY_RULES = {
    "G83.4": "RF-01",     # cauda equina syndrome
    "M46.46": "RF-06", "M46.47": "RF-06",  # discitis, lumbar / lumbosacral
    "M46.26": "RF-06", "M46.27": "RF-06",  # vertebral osteomyelitis
    "C41.2": "RF-04", "C79.51": "RF-04",   # malignancy of the spine / bone
    "S32.009A": "RF-07",  # lumbar vertebral fracture
    "M48.56XA": "RF-08", "M80.08XA": "RF-08",  # collapsed vertebra, osteoporotic fracture
    "M53.2X6": "CI-SPINE", "M53.2X7": "CI-SPINE",  # spinal instability
}


def normalise(code: str) -> str:
    """Upper case with the dot after the third character (m5450 -> M54.50)."""
    code = code.strip().upper().replace(" ", "")
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    return code


@cache
def _billable(code: str) -> bool:
    return _icd().is_valid_item(code) and _icd().is_leaf(code)


def is_billable(code: str) -> bool:
    return _billable(normalise(code))


class _CodeSet(Mapping[str, Diagnosis]):
    """The billable codes of the release, by code (looked up, not listed: 74,000 codes)."""

    def __getitem__(self, code: str) -> Diagnosis:
        if not isinstance(code, str) or not _billable(code):
            raise KeyError(code)
        return Diagnosis(code, _icd().get_description(code), code in SPECIFIC_CAUSES,
                         SAFETY_RULES.get(code, ""))

    def __iter__(self) -> Iterator[str]:
        return (c for c in _icd().get_all_codes(with_dots=True) if _billable(c))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and _billable(code)


BY_CODE: Mapping[str, Diagnosis] = _CodeSet()


def coded_for(codes, rule_id: str) -> list[Diagnosis]:
    """The diagnoses among `codes` that raise the safety rule `rule_id`."""
    return [BY_CODE[c] for c in sorted({normalise(c) for c in codes})
            if SAFETY_RULES.get(c) == rule_id and c in BY_CODE]


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
    return normalise(code) in SPECIFIC_CAUSES
