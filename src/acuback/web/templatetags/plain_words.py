"""Template filters that turn stored safety keys into words (issue #28 §6): a page shows
"no electroacupuncture", "Proceed with precautions", never "BLOCK_EA" or "PRECAUTIONS"."""

from __future__ import annotations

from django import template

from acuback.clinical.safety import Action, Outcome

register = template.Library()


@register.filter
def action_words(actions) -> str:
    """A finding's stored actions (["BLOCK_EA", …]) as a list in words."""
    return "; ".join(Action(a).words if a in Action.__members__ else str(a) for a in actions)


@register.filter
def outcome_words(name: str) -> str:
    """A stored outcome name ("PRECAUTIONS") as its label."""
    return Outcome[name].label if name in Outcome.__members__ else str(name)
