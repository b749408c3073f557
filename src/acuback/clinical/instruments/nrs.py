"""Pain Numeric Rating Scale 0–10 (instruments.md §2).

Item 1 is the outcome rating (average pain over the last 24 hours); items 2 and 3
add the current and the worst pain over 24 hours. Each frame is scored as
answered; an unanswered frame has no score, and without item 1 there is no total.
"""

from __future__ import annotations

from .base import ZERO_TO_TEN, Instrument, Item, Mcid, Score

FRAMES = {1: "average_24h", 2: "current", 3: "worst_24h"}


def score(answers: dict[int, float]) -> Score:
    subscores = {FRAMES[n]: v for n, v in answers.items()}
    total = answers.get(1)
    return Score(total=total, subscores=subscores,
                 note="" if total is not None else "average pain (item 1) not answered")


INSTRUMENT = Instrument(
    id="nrs", name="Pain numeric rating scale", version="NRS-11", recall="see each item",
    items=(
        Item(1, "Your average back pain over the last 24 hours, from 0 (no pain) to 10 (worst "
             "pain imaginable)", ZERO_TO_TEN),
        Item(2, "Your back pain right now, from 0 (no pain) to 10 (worst pain imaginable)",
             ZERO_TO_TEN),
        Item(3, "Your worst back pain over the last 24 hours, from 0 (no pain) to 10 (worst "
             "pain imaginable)", ZERO_TO_TEN),
    ),
    scorer=score, lower_is_better=True,
    mcid=Mcid(absolute=2, percent=30, source="Ostelo 2008 (instruments.md §2)"),
    ship_text=True, licence="Generic scale; the project's own wording (instruments.md §2).",
    # 72514-3 is only seen in HL7 guides and mirrors (status H/M in instruments.md):
    # not shipped until re-checked on loinc.org; FHIR uses the local code meanwhile.
)
