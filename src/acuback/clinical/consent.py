"""Who may sign a consent. Project rule: a patient signs alone from the age of majority,
18 (the age in most US states; safety.md §3.2 makes valid consent a precondition of
needling [Sierpina][AACP-list] but gives no age). Below it, a parent, guardian or legal
representative signs. The age is the patient's on the day the consent is signed."""

from __future__ import annotations

AGE_OF_MAJORITY = 18


def own_signature_counts(age_on_signing_day: int, signed_by_representative: bool) -> bool:
    """A consent counts when a representative signed it, or the patient was an adult."""
    return signed_by_representative or age_on_signing_day >= AGE_OF_MAJORITY
