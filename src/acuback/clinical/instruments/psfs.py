"""Patient-Specific Functional Scale (instruments.md §11).

Up to five activities the patient names, each rated 0 (unable) to 10 (as
before the problem). Score: mean of the rated activities; higher is better.
"""

from __future__ import annotations

from .base import ZERO_TO_TEN, Instrument, Item, Mcid, Score


def score(answers: dict[int, float]) -> Score:
    if not answers:
        return Score(total=None, note="no activity rated")
    return Score(total=sum(answers.values()) / len(answers),
                 subscores={f"activity_{n}": v for n, v in answers.items()})


INSTRUMENT = Instrument(
    id="psfs", name="Patient-Specific Functional Scale", version="Stratford 1995",
    recall="today",
    items=tuple(Item(n, f"Activity {n} that is hard because of your back: how well can you do "
                     "it today, from 0 (unable) to 10 (as well as before)", ZERO_TO_TEN)
                for n in range(1, 6)),
    scorer=score, lower_is_better=False,
    mcid=Mcid(absolute=2, source="MDC90 of the mean, 2 points (instruments.md §11)"),
    ship_text=True, licence="Structure with the project's own instructions.",
)
