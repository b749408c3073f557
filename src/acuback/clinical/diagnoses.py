"""ICD-10-CM low-back-pain codes offered for an episode of care.

Source: shared/clinical/coverage-billing.md §4 (status checked there against the
CDC ICD-10-CM code set as packaged in simple-icd-10-cm 1.5.0). Billable is not
covered: Medicare coverage comes only from the CMS NCD 30.3.3 list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnosis:
    code: str
    description: str
    specific_cause: bool = False  # feeds the "not nonspecific" exclusion
    # The safety rule (clinical.safety) a coded serious cause raises until it is cleared.
    safety_rule: str = ""


CODES: tuple[Diagnosis, ...] = (
    Diagnosis("M54.50", "Low back pain, unspecified"),
    Diagnosis("M54.51", "Vertebrogenic low back pain"),
    Diagnosis("M54.59", "Other low back pain"),
    Diagnosis("M54.40", "Lumbago with sciatica, unspecified side"),
    Diagnosis("M54.41", "Lumbago with sciatica, right side"),
    Diagnosis("M54.42", "Lumbago with sciatica, left side"),
    Diagnosis("M54.30", "Sciatica, unspecified side"),
    Diagnosis("M54.31", "Sciatica, right side"),
    Diagnosis("M54.32", "Sciatica, left side"),
    Diagnosis("M54.16", "Radiculopathy, lumbar region"),
    Diagnosis("M54.17", "Radiculopathy, lumbosacral region"),
    Diagnosis("M51.16", "Intervertebral disc disorders with radiculopathy, lumbar"),
    Diagnosis("M51.17", "Intervertebral disc disorders with radiculopathy, lumbosacral"),
    Diagnosis("M51.26", "Other intervertebral disc displacement, lumbar"),
    Diagnosis("M51.27", "Other intervertebral disc displacement, lumbosacral"),
    Diagnosis("M51.360", "Other intervertebral disc degeneration, lumbar, discogenic back pain only"),
    Diagnosis("M51.361", "Other intervertebral disc degeneration, lumbar, lower-extremity pain only"),
    Diagnosis("M51.362", "Other intervertebral disc degeneration, lumbar, back and lower-extremity pain"),
    Diagnosis("M51.369", "Other intervertebral disc degeneration, lumbar, neither"),
    Diagnosis("M51.370", "Other intervertebral disc degeneration, lumbosacral, discogenic back pain only"),
    Diagnosis("M51.371", "Other intervertebral disc degeneration, lumbosacral, lower-extremity pain only"),
    Diagnosis("M51.372", "Other intervertebral disc degeneration, lumbosacral, back and lower-extremity pain"),
    Diagnosis("M51.379", "Other intervertebral disc degeneration, lumbosacral, neither"),
    Diagnosis("M47.816", "Spondylosis without myelopathy or radiculopathy, lumbar"),
    Diagnosis("M47.817", "Spondylosis without myelopathy or radiculopathy, lumbosacral"),
    Diagnosis("M48.061", "Spinal stenosis, lumbar, without neurogenic claudication"),
    Diagnosis("M48.062", "Spinal stenosis, lumbar, with neurogenic claudication"),
    Diagnosis("M53.2X6", "Spinal instabilities, lumbar region",
              safety_rule="CI-SPINE"),
    Diagnosis("M53.2X7", "Spinal instabilities, lumbosacral region",
              safety_rule="CI-SPINE"),
    Diagnosis("M53.86", "Other specified dorsopathies, lumbar"),
    Diagnosis("M51.86", "Other intervertebral disc disorders, lumbar"),
    Diagnosis("M54.89", "Other dorsalgia"),
    Diagnosis("M99.03", "Segmental and somatic dysfunction, lumbar"),
    Diagnosis("S33.5XXA", "Sprain of ligaments of lumbar spine, initial encounter"),
    Diagnosis("S39.012A", "Strain of muscle, fascia and tendon of lower back, initial encounter"),
    Diagnosis("G83.4", "Cauda equina syndrome", specific_cause=True, safety_rule="RF-01"),
    Diagnosis("M45.6", "Ankylosing spondylitis, lumbar", specific_cause=True),
    Diagnosis("M45.7", "Ankylosing spondylitis, lumbosacral", specific_cause=True),
    Diagnosis("M46.46", "Discitis, unspecified, lumbar region", specific_cause=True,
              safety_rule="RF-06"),
    Diagnosis("M46.47", "Discitis, unspecified, lumbosacral region", specific_cause=True,
              safety_rule="RF-06"),
    # Serious specific causes a referral letter or an imported record may code. Each was
    # checked against the ICD-10-CM code set (simple-icd-10-cm; a test checks them all).
    Diagnosis("M46.26", "Osteomyelitis of vertebra, lumbar region", specific_cause=True,
              safety_rule="RF-06"),
    Diagnosis("M46.27", "Osteomyelitis of vertebra, lumbosacral region", specific_cause=True,
              safety_rule="RF-06"),
    Diagnosis("C41.2", "Malignant neoplasm of vertebral column", specific_cause=True,
              safety_rule="RF-04"),
    Diagnosis("C79.51", "Secondary malignant neoplasm of bone", specific_cause=True,
              safety_rule="RF-04"),
    Diagnosis("S32.009A", "Unspecified fracture of unspecified lumbar vertebra, initial "
              "encounter for closed fracture", specific_cause=True, safety_rule="RF-07"),
    Diagnosis("M48.56XA", "Collapsed vertebra, not elsewhere classified, lumbar region, "
              "initial encounter for fracture", specific_cause=True, safety_rule="RF-08"),
    Diagnosis("M80.08XA", "Age-related osteoporosis with current pathological fracture, "
              "vertebra(e), initial encounter for fracture", specific_cause=True,
              safety_rule="RF-08"),
)
BY_CODE = {d.code: d for d in CODES}
# Category headers that are not billable, with their billable replacements.
HEADERS = {
    "M54.5": ("M54.50", "M54.51", "M54.59"),
    "M51.36": ("M51.360", "M51.361", "M51.362", "M51.369"),
    "M51.37": ("M51.370", "M51.371", "M51.372", "M51.379"),
}


def coded_for(codes, rule_id: str) -> list[Diagnosis]:
    """The diagnoses among `codes` that raise the safety rule `rule_id`."""
    return [BY_CODE[c] for c in sorted(codes) if c in BY_CODE
            and BY_CODE[c].safety_rule == rule_id]


def check(code: str) -> str | None:
    """None if the code is on the list; otherwise the message to show."""
    code = code.strip().upper()
    if code in BY_CODE:
        return None
    if code in HEADERS:
        return f"{code} is a category header, not billable: use {', '.join(HEADERS[code])}."
    return f"{code} is not on the low-back-pain code list."
