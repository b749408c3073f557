"""The chart's "who may treat" lists, formatted in Python.

A clinic of 25 practitioners at 3 locations lists 75 of them on every chart; through the
template language those items were the largest part of the page's rendering. Formatted
here, as the day view's rows are (scheduling/day_rows.py), with the markup the template
had. Every value from the database goes through escape().
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

from acuback.accounts.models import Location
from acuback.web.links import url_format

from .selectors import LocationClearance

_CLEARED = ('<li><span class="status ok">Cleared</span> <a href="{url}">{name}</a> '
            '<span class="muted">{profession}</span></li>')
_NOBODY = '<li><span class="status bad">Nobody is cleared to needle here today.</span></li>'
_NOT_CLEARED = ('<li><span class="status bad">Not cleared</span> {name} '
                '<span class="muted">— {reason}</span></li>')


def who_may_treat_rows(who_may_treat: list[LocationClearance]) -> list[tuple[Location, SafeString]]:
    """Each location with its list items: the cleared practitioners first (linked to the
    registry), then those not cleared with the reason."""
    registry = url_format("practitioner_detail", "pk")
    result = []
    for location in who_may_treat:
        cleared = [_CLEARED.format(url=registry.format(pk=o.practitioner.pk),
                                   name=escape(o.practitioner.display_name),
                                   profession=escape(o.practitioner.get_profession_display()))
                   for o in location.cleared] or [_NOBODY]
        not_cleared = [_NOT_CLEARED.format(name=escape(o.practitioner.display_name),
                                           reason=escape(o.clearance.reason))
                       for o in location.not_cleared]
        result.append((location.location, mark_safe("".join(cleared + not_cleared))))  # noqa: S308  # nosec B308 B703
    return result
