"""Keele STarT Back Screening Tool, 9 items (instruments.md §5).

© Keele University 2007. Items 1–8: agree = 1, disagree = 0. Item 9 is the raw
0–4 bothersomeness answer; only 3 (very much) and 4 (extremely) score 1.
"""

from __future__ import annotations

from .base import Instrument, Item, Score, options

AGREE = options((0, "Disagree"), (1, "Agree"))
BOTHER = options((0, "Not at all"), (1, "Slightly"), (2, "Moderately"), (3, "Very much"),
                 (4, "Extremely"))
TOPICS = ("back pain spreading down the legs", "pain in the shoulder or neck",
          "walking only short distances because of the back",
          "dressing more slowly because of the back",
          "not really safe to be physically active", "worrying thoughts going through the mind",
          "feeling the back pain is terrible and will never get better",
          "not enjoying the things usually enjoyed")
ITEM_LOINC = ("91340-0", None, None, None, None, None, None, None, "91348-3")


def item9_point(raw: float) -> int:
    return 1 if raw >= 3 else 0


def score(answers: dict[int, float]) -> Score:
    if len(answers) < 9:
        return Score(total=None, note="not scored: every item is needed for a risk group")
    points = [answers[n] for n in range(1, 9)] + [item9_point(answers[9])]
    total, distress = sum(points), sum(points[4:])
    if total <= 3:
        band = "low"
    elif distress <= 3:
        band = "medium"
    else:
        band = "high"
    return Score(total=float(total), subscores={"distress": float(distress)}, band=band)


INSTRUMENT = Instrument(
    id="startback", name="Keele STarT Back Screening Tool", version="9-item",
    recall="last 2 weeks",
    items=tuple(Item(n + 1, f"Thinking about the last 2 weeks: {topic} (paraphrase)", AGREE,
                     loinc=ITEM_LOINC[n]) for n, topic in enumerate(TOPICS))
    + (Item(9, "Overall, how bothersome the back pain has been in the last 2 weeks "
            "(paraphrase)", BOTHER, loinc="91348-3"),),
    scorer=score, lower_is_better=True, mcid=None, ship_text=False,
    licence="© Keele University 2007; licensed text per clinic, shown with Keele's copyright "
            "and funding statement. For low back pain only.",
    loinc={"panel": "91349-1", "distress": "91350-9", "total": "91351-7", "risk": "91352-5"},
    maximum=9, unit="points",
)
