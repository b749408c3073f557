"""Roland-Morris Disability Questionnaire, 24 items (instruments.md §4).

Tick the statements that apply. On a submitted electronic form an unticked
(absent) item counts 0; an item marked unreadable (None) means no score.
"""

from __future__ import annotations

from typing import Any

from .base import Instrument, Item, Mcid, Score, options

TOPICS = ("staying at home most of the time", "changing position often", "walking more slowly",
          "not doing usual household jobs", "using a handrail on stairs",
          "lying down to rest more often", "holding on to get out of a chair",
          "asking others to do things", "dressing more slowly", "standing only briefly",
          "trying not to bend or kneel", "difficulty getting out of a chair",
          "pain almost all the time", "difficulty turning over in bed", "poorer appetite",
          "trouble putting on socks or stockings", "walking only short distances",
          "sleeping less well", "getting dressed with help", "sitting down most of the day",
          "avoiding heavy jobs", "more irritable than usual", "going upstairs more slowly",
          "staying in bed most of the time")
TICK = options((0, "Not ticked"), (1, "Ticked: applies to me today"))


def score(answers: dict[int, float]) -> Score:
    return Score(total=sum(answers.values()))


def score_with_unreadable(raw: dict[Any, Any]) -> Score | None:
    """None answers are items staff could not read on paper: no score (project rule)."""
    if any(v is None for v in raw.values()):
        return Score(total=None, note="not scored: an item is marked unreadable")
    return None


INSTRUMENT = Instrument(
    id="rmdq", name="Roland-Morris Disability Questionnaire", version="RMDQ-24",
    recall="today",
    items=tuple(Item(n + 1, f"Because of my back: {topic} (paraphrase)", TICK)
                for n, topic in enumerate(TOPICS)),
    scorer=score, lower_is_better=True,
    mcid=Mcid(absolute=5, percent=30, source="Ostelo 2008 (instruments.md §4)"),
    ship_text=False,
    licence="Roland & Fairbank 2000; current terms for electronic use not verified: "
            "paraphrased topics until a clinic loads its wording.",
    maximum=24, unit="points",
)
