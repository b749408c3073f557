"""Template filters that turn stored safety keys into words (issue #28 §6): a page shows
"no electroacupuncture", "Proceed with precautions", never "BLOCK_EA" or "PRECAUTIONS"."""

from __future__ import annotations

from django import template

from acuback.clinical.safety import Action, Outcome
from acuback.clinical.safety import outcome_words as safety_outcome_words

register = template.Library()


@register.filter
def action_words(actions) -> str:
    """A finding's stored actions (["BLOCK_EA", …]) as a list in words."""
    return "; ".join(Action(a).words if a in Action.__members__ else str(a) for a in actions)


@register.filter
def outcome_words(value) -> str:
    """A stored outcome name ("PRECAUTIONS") as its label; a stored finding as the outcome
    with the hold it puts on needling (a blocking finding is never "Proceed with
    precautions": clinical.safety.outcome_words, the gate's own reading)."""
    if isinstance(value, dict):
        name = value.get("outcome", "")
        if name not in Outcome.__members__:
            return str(name)
        holds = {"BLOCK_NEEDLING", "DEFER_REFER"} & set(value.get("actions", ()))
        return safety_outcome_words(Outcome[name], not holds)
    return Outcome[value].label if value in Outcome.__members__ else str(value)


@register.filter
def error_summary(form) -> list[tuple[str, str, str]]:
    """(anchor id, field label, first message) for each field with an error, in the form's
    order: the list at the top of a page, each linking to its question (issue #28 §5)."""
    if not form or not getattr(form, "errors", None):
        return []
    return [(form[name].auto_id, form[name].label, form[name].errors[0])
            for name in form.fields if form[name].errors]
