"""Lumbar range of motion (instruments.md §12): clinician tests, in centimetres.

No MCID exists: change counts only beyond measurement error (Schober SDC 1.8 cm;
fingertip-to-floor SDC 9.8 cm, Robinson 2014, chosen as the conservative of the
two published values). No normal bands ship.
"""

from __future__ import annotations

from .base import Instrument, Item, Mcid, Score


def _single(answers: dict[int, float]) -> Score:
    value = answers.get(1)
    return Score(total=value, note="" if value is not None else "not measured")


SCHOBER = Instrument(
    id="schober", name="Modified Schober test", version="Macrae & Wright",
    recall="measured today",
    items=(Item(1, "Increase of the 15 cm span at maximal forward bend (cm)", minimum=0,
                maximum=15),),
    scorer=_single, lower_is_better=False,
    mcid=Mcid(absolute=1.8, source="SDC, Robinson & Mengshoel 2014", label="measurement error"),
    ship_text=True, licence="Clinical test.", unit="cm", maximum=15,
)
FFD = Instrument(
    id="ffd", name="Fingertip-to-floor distance", version="standing, knees straight",
    recall="measured today",
    items=(Item(1, "Fingertip-to-floor distance at full forward bend (cm; 0 if the floor is "
                "reached)", minimum=0, maximum=100),),
    scorer=_single, lower_is_better=True,
    mcid=Mcid(absolute=9.8, source="SDC, Robinson & Mengshoel 2014", label="measurement error"),
    ship_text=True, licence="Clinical test.", unit="cm", maximum=100,
)
