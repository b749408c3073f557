"""Chronicity of a back-pain episode from its onset.

acute: under 4 weeks; subacute: 4 to under 12 weeks; chronic: 12 weeks or more.
Chronic follows Medicare NCD 30.3.3 (≥ 12 weeks; docs/reference/coverage-billing.md
§1); the 4-week boundary follows ACP 2017 (Qaseem et al., Ann Intern Med
2017;166:514). See docs/clinical-safety.md, "Chronicity of an episode".
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

SUBACUTE_FROM_WEEKS = 4
CHRONIC_FROM_WEEKS = 12


class Chronicity(StrEnum):
    ACUTE = "acute"
    SUBACUTE = "subacute"
    CHRONIC = "chronic"


def weeks_since(onset: date, on: date) -> float:
    return (on - onset).days / 7


def chronicity(onset: date, on: date) -> Chronicity:
    if onset > on:
        raise ValueError("onset is after the date of assessment")
    weeks = weeks_since(onset, on)
    if weeks >= CHRONIC_FROM_WEEKS:
        return Chronicity.CHRONIC
    if weeks >= SUBACUTE_FROM_WEEKS:
        return Chronicity.SUBACUTE
    return Chronicity.ACUTE
