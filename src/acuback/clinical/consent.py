"""Who may sign a consent. Project rule: a patient signs alone from the age of majority,
18 (the age in most US states; safety.md §3.2 makes valid consent a precondition of
needling [Sierpina][AACP-list] but gives no age). Below it, a parent, guardian or legal
representative signs. The age is the patient's on the day the consent is signed."""

from __future__ import annotations

from dataclasses import dataclass

AGE_OF_MAJORITY = 18


def own_signature_counts(age_on_signing_day: int, signed_by_representative: bool) -> bool:
    """A consent counts when a representative signed it, or the patient was an adult."""
    return signed_by_representative or age_on_signing_day >= AGE_OF_MAJORITY


# What a treatment consent names (issue #26 item 9): the common and the serious risks the
# safety reference reports, each with the words a text may use for it and its sources
# (keys of docs/reference/safety.md's sources).
@dataclass(frozen=True)
class Risk:
    name: str
    words: tuple[str, ...]  # any of these, case-insensitive, names the risk
    sources: tuple[str, ...]


TREATMENT_RISKS = (
    # Pain or bruising at the site in 30 % of patients; bleeding/bruising 3 % of treatments.
    Risk("bruising", ("bruis",), ("MacPherson2005", "White2006")),
    # Needling pain among the commonest events.
    Risk("soreness", ("sore", "needling pain"), ("White2001", "GERAC-safety")),
    # Dizziness or fainting: a coded event type; among the commonest case reports.
    Risk("fainting", ("faint",), ("White2001", "Zhang2010")),
    # The commonest serious event (GERAC); safety.md §5.
    Risk("pneumothorax", ("pneumothorax", "collapsed lung"), ("GERAC-safety", "WHO1999-5.2")),
    # Local infection and cellulitis; mycobacterial and staphylococcal infections.
    Risk("infection", ("infection",), ("White2001", "Xu2013")),
    # An avoidable event; safety.md §7 (needle count).
    Risk("a retained needle", ("retained needle", "needle left", "needle is left"),
         ("White2001",)),
)


def missing_risks(text: str) -> list[str]:
    """The risks of TREATMENT_RISKS a consent text does not name."""
    lowered = text.lower()
    return [r.name for r in TREATMENT_RISKS if not any(w in lowered for w in r.words)]
