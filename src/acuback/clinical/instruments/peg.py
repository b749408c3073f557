"""PEG: pain, enjoyment of life, general activity (instruments.md §6). All three required."""

from __future__ import annotations

from .base import ZERO_TO_TEN, Instrument, Item, Mcid, Score


def score(answers: dict[int, float]) -> Score:
    if len(answers) < 3:
        return Score(total=None, note="not scored: all three items are needed")
    return Score(total=sum(answers.values()) / 3)


INSTRUMENT = Instrument(
    id="peg", name="PEG", version="Krebs 2009", recall="past week",
    items=(
        Item(1, "Average pain in the past week, 0 (no pain) to 10 (paraphrase)", ZERO_TO_TEN),
        Item(2, "How much pain interfered with enjoyment of life in the past week, 0 to 10 "
             "(paraphrase)", ZERO_TO_TEN),
        Item(3, "How much pain interfered with general activity in the past week, 0 to 10 "
             "(paraphrase)", ZERO_TO_TEN),
    ),
    scorer=score, lower_is_better=True,
    mcid=Mcid(absolute=1, source="Reed 2024, about 1 point (instruments.md §6)"),
    ship_text=False, licence="Licence terms not verified: paraphrased topics until loaded.",
)
