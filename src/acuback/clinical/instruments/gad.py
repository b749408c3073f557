"""GAD-2 and GAD-7, anxiety symptoms (instruments.md §8). All items required.

GAD-2 wording ships (Pfizer PHQ-family statement, confirmed for the GAD-2
items); GAD-7 items 3–7 are paraphrased until the statement is confirmed.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import FREQUENCY, Instrument, Item, Score

STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"
GAD2_TEXT = ("Feeling nervous, anxious, or on edge", "Not being able to stop or control worrying")
GAD7_TOPICS = ("worrying too much about different things (paraphrase)",
               "trouble relaxing (paraphrase)", "restlessness (paraphrase)",
               "irritability (paraphrase)", "fearing something awful might happen (paraphrase)")
ITEM_LOINC = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")
GAD2_SCREEN_THRESHOLD = 3
BANDS = ((4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe"))


def _all_needed(count: int) -> Callable[[dict[int, float]], Score]:
    def score(answers: dict[int, float]) -> Score:
        if len(answers) < count:
            return Score(total=None, note=f"not scored: all {count} items are needed")
        total = sum(answers.values())
        if count == 2:
            return Score(total=total, band="positive screen"
                         if total >= GAD2_SCREEN_THRESHOLD else "negative screen")
        return Score(total=total, band=next(label for upper, label in BANDS if total <= upper))

    return score


GAD2 = Instrument(
    id="gad2", name="GAD-2", version="Kroenke 2007", recall="last 2 weeks",
    items=tuple(Item(n + 1, GAD2_TEXT[n], FREQUENCY, loinc=ITEM_LOINC[n]) for n in range(2)),
    scorer=_all_needed(2), lower_is_better=True, mcid=None, ship_text=True,
    licence="Pfizer PHQ-family statement (confirmed for the GAD-2 items).", maximum=6,
    answer_help=STEM, unit="points",
)
GAD7 = Instrument(
    id="gad7", name="GAD-7", version="Spitzer 2006", recall="last 2 weeks",
    items=GAD2.items + tuple(Item(n + 3, GAD7_TOPICS[n], FREQUENCY, loinc=ITEM_LOINC[n + 2])
                             for n in range(5)),
    scorer=_all_needed(7), lower_is_better=True, mcid=None, ship_text=False,
    licence="Items 3–7 paraphrased until the Pfizer statement is confirmed for them.",
    loinc={"total": "70274-6"}, maximum=21, answer_help=STEM, unit="points",
)
