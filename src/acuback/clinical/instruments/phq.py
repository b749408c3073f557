"""PHQ-2 and PHQ-9, depressive symptoms (instruments.md §7).

© Pfizer Inc.; no permission needed to reproduce, translate, display or
distribute: the wording ships. PHQ-2 = PHQ-9 items 1 and 2. Item 10 (how
difficult) is not scored. Totals only when every scored item is answered.
"""

from __future__ import annotations

from typing import Any

from .base import FREQUENCY, Instrument, Item, Mcid, Score, options

STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
TEXT = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
# Status L in instruments.md (confirmed on loinc.org): items 1–2 and 4–9, the PHQ-9 panel
# and total. Item 3 (sleep) is still H (HL7 examples only): re-check before shipping.
ITEM_LOINC = ("44250-9", "44255-8", None, "44254-1", "44251-7", "44258-2", "44252-5",
              "44253-3", "44260-8")
DIFFICULTY = options((0, "Not difficult at all"), (1, "Somewhat difficult"),
                     (2, "Very difficult"), (3, "Extremely difficult"))
PHQ2_SCREEN_THRESHOLD = 3  # Kroenke 2003; configurable per clinic (project rule)
SELF_HARM_ITEM = 9
BANDS = ((4, "below threshold"), (9, "mild"), (14, "moderate"), (19, "moderately severe"),
         (27, "severe"))


def _items(count: int) -> tuple[Item, ...]:
    return tuple(Item(n + 1, TEXT[n], FREQUENCY, loinc=ITEM_LOINC[n]) for n in range(count))


def score_phq2(answers: dict[int, float]) -> Score:
    if len(answers) < 2:
        return Score(total=None, note="not scored: both items are needed")
    total = sum(answers.values())
    return Score(total=total, band="positive screen" if total >= PHQ2_SCREEN_THRESHOLD
                 else "negative screen")


def score_phq9(answers: dict[int, float]) -> Score:
    scored = {n: v for n, v in answers.items() if n <= 9}
    if len(scored) < 9:
        return Score(total=None, note=f"not scored: {len(scored)} of 9 items answered")
    total = sum(scored.values())
    return Score(total=total, band=next(label for upper, label in BANDS if total <= upper))


def self_harm_alert(answers: dict[Any, Any], *, submitted: bool = True) -> bool:
    """Item 9 above 0 needs same-day follow-up at once, in a draft too; left blank on a
    submitted PHQ-9 it is unknown and alerts as well (safety.md §2)."""
    value = answers.get(SELF_HARM_ITEM, answers.get(str(SELF_HARM_ITEM)))
    if value is None:
        return submitted
    return bool(value > 0)


def submittable_unscored(answers: dict[Any, Any]) -> bool:
    """A PHQ-9 may be submitted with item 9 left blank (the patient need not answer it; the
    blank alerts and the clinician asks directly); it then has no total."""
    scored = {int(k) for k, v in answers.items() if v is not None and int(k) <= 9}
    return scored == set(range(1, SELF_HARM_ITEM))


PHQ2 = Instrument(
    id="phq2", name="PHQ-2", version="Kroenke 2003", recall="last 2 weeks", items=_items(2),
    scorer=score_phq2, lower_is_better=True, mcid=None, ship_text=True,
    licence="© Pfizer Inc. No permission required to reproduce, translate, display or "
            "distribute.", loinc={"panel": "55757-9", "total": "55758-7"}, maximum=6,
    answer_help=STEM, unit="points",
)
PHQ9 = Instrument(
    id="phq9", name="PHQ-9", version="Kroenke 2001", recall="last 2 weeks",
    items=_items(9) + (Item(10, "If you checked off any problems, how difficult have these "
                            "problems made it for you to do your work, take care of things at "
                            "home, or get along with other people?", DIFFICULTY, scored=False),),
    scorer=score_phq9, lower_is_better=True,
    mcid=Mcid(absolute=5, source="Löwe 2004 (instruments.md §7)"), ship_text=True,
    licence=PHQ2.licence, loinc={"panel": "44249-1", "total": "44261-6"}, maximum=27,
    answer_help=STEM, unit="points",
)
