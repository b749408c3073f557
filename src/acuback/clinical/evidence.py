"""Published figures to set beside a clinic's own, and the statistics to compare them.

Adverse-event rates from docs/reference/safety.md §6.2 (compare like with like:
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



# --- trial benchmarks (docs/reference/evidence.md §1–§2; High-confidence values only) -----

@dataclass(frozen=True)
class Benchmark:
    key: str
    source: str
    outcome: str  # what is measured, in words
    definition: str
    time_point: str
    weeks: int  # weeks after baseline
    arms: tuple[tuple[str, float], ...]
    unit: str
    reproducible: str  # "yes", "approximately", "no"
    why_not: str = ""


BENCHMARKS = (
    Benchmark("gerac", "GERAC, Haake et al. Arch Intern Med 2007;167:1892",
              "responders (composite)", "≥ 33 % on the Von Korff pain items or ≥ 12 % on the "
              "HFAQ; ITT, drop-outs and co-treatment counted as non-responders",
              "6 months", 26, (("verum acupuncture", 47.6), ("sham", 44.2),
                               ("conventional therapy", 27.4)), "%", "no",
              "The clinic does not collect the Von Korff and HFAQ instruments."),
    Benchmark("art", "ART, Brinkhaus et al. Arch Intern Med 2006", "pain change",
              "change in low-back-pain intensity, VAS 0–100, baseline to week 8", "8 weeks", 8,
              (("acupuncture", -28.7), ("minimal acupuncture", -23.6), ("waiting list", -6.9)),
              "points (0–100)", "approximately",
              "NRS × 10 is treated as approximately VAS 0–100 (a labelled approximation)."),
    Benchmark("cherkin", "Cherkin et al. Arch Intern Med 2009;169:858", "RMDQ change",
              "mean improvement on a 0–23 RMDQ", "8 weeks", 8,
              (("individualised", -4.4), ("standardised", -4.5), ("simulated", -4.4),
               ("usual care", -2.1)), "points", "approximately",
              "The clinic uses the 24-item RMDQ; shown unconverted."),
    Benchmark("cherkin_responders_8", "Cherkin et al. Arch Intern Med 2009;169:858",
              "RMDQ responders", "clinically meaningful RMDQ improvement (≥ 3 points, per a "
              "secondary transcription); arm share of randomised patients", "8 weeks", 8,
              (("any needling, real or simulated (pooled)", 60), ("usual care", 39)), "%",
              "approximately", "Same 3-point rule, intention to treat with missing scores as "
              "non-responders; RMDQ-24 shown unconverted; entry criteria (age 18–70, "
              "bothersomeness ≥ 3) not applied."),
    Benchmark("cherkin_responders_52", "Cherkin et al. Arch Intern Med 2009;169:858",
              "RMDQ responders", "as at 8 weeks", "52 weeks", 52,
              (("treatment groups, lowest", 59), ("treatment groups, highest", 65),
               ("usual care", 50)), "%", "approximately", "As at 8 weeks."),
    Benchmark("costa", "Costa et al. CMAJ 2012;184:E613 (33 cohorts)", "natural course",
              "mean pain 0–100 in persistent low back pain inception cohorts",
              "baseline / 6 / 26 / 52 weeks", 0, (("baseline", 51), ("6 weeks", 33),
                                                  ("26 weeks", 26), ("52 weeks", 23)),
              "points (0–100)", "yes", ""),
)

GUIDELINES = (
    ("ACP 2017 (US)", "Chronic LBP: start with non-drug care including acupuncture "
     "(moderate-quality evidence).", "Strong recommendation; reaffirmation not verified"),
    ("NICE NG59 (UK, updated 2020)", "Do not offer acupuncture for low back pain with or "
     "without sciatica.", "Negative recommendation"),
    ("WHO 2023", "Chronic primary LBP in adults: needling therapies such as acupuncture may "
     "be offered.", "Conditional recommendation, low-certainty evidence"),
)

# Rule 2: compare only within ± 2 weeks of the benchmark time (± 4 weeks at 26/52 weeks).
def window_weeks(weeks: int) -> int:
    return 4 if weeks >= 26 else 2


MIN_COHORT = 20  # rule 8: below this, no comparison is shown (project decision)


# Natural course as a change from the pooled baseline of 51 (Costa 2012; Derived).
NATURAL_COURSE_CHANGE = ((0, 0.0), (6, 33 - 51.0), (26, 26 - 51.0), (52, 23 - 51.0))
CHERKIN_RESPONDER_POINTS = 3  # evidence.md §1 (definition: Medium confidence)


def benchmark(key: str) -> Benchmark:
    return next(b for b in BENCHMARKS if b.key == key)
