"""Oswestry Disability Index v2.1a (instruments.md §3).

Item text is licensed (Mapi Research Trust): only paraphrased topics ship; a
clinic loads its licensed wording with `acuback instruments load-text`.
"""

from __future__ import annotations

from .base import Instrument, Item, Mcid, Score, options

SECTIONS = ("Pain intensity", "Personal care", "Lifting", "Walking", "Sitting", "Standing",
            "Sleeping", "Sex life (if applicable)", "Social life", "Travelling")
STATEMENTS = options(*[(v, f"Statement {v + 1} ({'no limitation' if v == 0 else 'most limited' if v == 5 else 'more limited'})")
                       for v in range(6)])
MIN_SECTIONS = 8  # project rule: score only with at least 8 of 10 sections answered
# Fairbank's bands on the % scale, upper bounds inclusive (instruments.md §3); 61–80 is
# Fairbank's "crippled", shown in neutral words (a project choice the document allows).
BANDS = ((20, "minimal disability"), (40, "moderate disability"), (60, "severe disability"),
         (80, "very severe disability"), (100, "bed-bound or exaggerating symptoms"))


def band_for(percent: float) -> str:
    return next(label for upper, label in BANDS if percent <= upper)


def score(answers: dict[int, float]) -> Score:
    answered = len(answers)
    if answered < MIN_SECTIONS:
        return Score(total=None, note=f"not scored: {answered} of 10 sections answered "
                     f"(at least {MIN_SECTIONS} needed)")
    percent = sum(answers.values()) / (5 * answered) * 100
    return Score(total=percent, band=band_for(percent))


INSTRUMENT = Instrument(
    id="odi", name="Oswestry Disability Index", version="2.1a", recall="today",
    items=tuple(Item(n + 1, f"Section {n + 1} — {topic}: choose the statement that best fits "
                     "today, from 1 (no limitation) to 6 (most limited)", STATEMENTS)
                for n, topic in enumerate(SECTIONS)),
    scorer=score, lower_is_better=True,
    mcid=Mcid(absolute=10, percent=30, source="Ostelo 2008 (instruments.md §3)"),
    ship_text=False,
    licence="© Jeremy Fairbank 1980; distributed by Mapi Research Trust (ePROVIDE). "
            "Paraphrased topics only; load licensed wording per clinic.",
    loinc={"total": "97909-6"}, maximum=100, unit="%",
)
