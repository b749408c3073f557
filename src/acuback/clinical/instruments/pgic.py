"""Patient Global Impression of Change (instruments.md §10). Public domain (NINDS CDE).

1 = very much improved … 7 = very much worse. Asked at follow-up only. A
responder is much or very much improved.
"""

from __future__ import annotations

from .base import Instrument, Item, Score, options

CATEGORIES = options((1, "Very much improved"), (2, "Much improved"), (3, "Minimally improved"),
                     (4, "No change"), (5, "Minimally worse"), (6, "Much worse"),
                     (7, "Very much worse"))
RESPONDER_CATEGORIES = (1, 2)


def score(answers: dict[int, float]) -> Score:
    value = answers.get(1)
    if value is None:
        return Score(total=None, note="not answered")
    label = next(o.label for o in CATEGORIES if o.value == value)
    return Score(total=value, band=label.lower())


INSTRUMENT = Instrument(
    id="pgic", name="Patient Global Impression of Change", version="NINDS CDE",
    recall="since the start of treatment",
    items=(Item(1, "Since the start of treatment, how would you describe the change (if any) "
                "in your back pain and what you can do?", CATEGORIES, minimum=1, maximum=7),),
    scorer=score, lower_is_better=True, mcid=None, ship_text=True,
    licence="Public domain (NINDS CDE); the question is the project's own wording.",
    minimum=1, maximum=7,
)
