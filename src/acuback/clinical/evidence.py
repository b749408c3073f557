"""Published figures to set beside a clinic's own, and the statistics to compare them.

Adverse-event rates from shared/clinical/safety.md §6.2 (compare like with like:
same denominator, reporter and severity definition).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedRate:
    source: str
    what: str
    per_1000: float
    denominator: str  # "sessions" (treatments/consultations) or "patients"
    reporter: str  # "practitioner" or "patient"
    severity: str  # "any", "significant", "serious"


AE_RATES = (
    PublishedRate("White 2001 (SAFA), BMJ 323:485", "any event", 68.4, "sessions",
                  "practitioner", "any"),
    PublishedRate("White 2001 (SAFA), BMJ 323:485", "significant event", 1.4, "sessions",
                  "practitioner", "significant"),
    PublishedRate("White 2001 (SAFA), BMJ 323:485", "serious event (none seen)", 0.0,
                  "sessions", "practitioner", "serious"),
    PublishedRate("Bäumler 2021, BMJ Open 11:e045961 (pooled)", "at least one event",
                  75.7, "sessions", "mixed", "any"),
    PublishedRate("Bäumler 2021, BMJ Open 11:e045961 (pooled)", "serious event", 0.00798,
                  "sessions", "mixed", "serious"),
)


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval for a proportion (good at small n and near 0 or 1)."""
    if n <= 0:
        raise ValueError("n must be positive")
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
