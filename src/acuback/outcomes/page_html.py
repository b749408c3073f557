"""The outcomes page's long lists, formatted in Python: the score tables (one row per
response), the link form's instrument checkboxes and the "enter any questionnaire" links.

A patient with two episodes has 30–60 scores and about 30 links and checkboxes an
episode; through the template language these were about 3 ms of the page. Formatted here,
as the day view's rows are (scheduling/day_rows.py), with the markup the template had.
Every value goes through escape().
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from .models import QuestionnaireResponse

_ROW = ("<tr><td>{date}</td><td>{when}</td><td>{score}</td>\n"
        "        <td>{correct}{correction}</td></tr>")
_MUTED = ' <span class="muted">{}</span>'


def score_rows(points: Iterable[QuestionnaireResponse], correct_url: str | None) -> SafeString:
    """`correct_url`: the correction link as a pattern with {response}, or None when the
    viewer may not enter questionnaires."""
    rows = []
    for r in points:
        if r.total is not None:
            # floatformat, as the template had: it rounds half up (x.x5 -> x.x+0.1).
            score = floatformat(r.total, 1) + (_MUTED.format(escape(r.band)) if r.band else "")
        else:
            score = f'<span class="muted">{escape(r.score_note)}</span>'
        rows.append(_ROW.format(
            date=timezone.localtime(r.submitted_at).date().isoformat() if r.submitted_at
            else "",
            when=escape(r.get_time_point_display()), score=score,
            correct=(f'<a href="{correct_url.format(response=r.pk)}">Correct</a>'
                     if correct_url else ""),
            correction=_MUTED.format("(correction)") if r.supersedes_id else ""))
    return mark_safe("".join(rows))  # noqa: S308 (every value above is escaped)  # nosec B308 B703


def instrument_checkboxes(choices: Sequence[tuple[str, str]], prefix: int) -> SafeString:
    """The link form's instruments, each checkbox with an id of its own per episode."""
    return format_html_join(
        "", '<div><label for="link{0}-i{1}"><input type="checkbox" name="instruments" '
        'value="{2}" id="link{0}-i{1}"> {3}</label></div>',
        ((prefix, n, value, label) for n, (value, label) in enumerate(choices)))


def link_list(links: Iterable[tuple[str, str]], separator: str = " ") -> SafeString:
    """(text, url) pairs as links."""
    return format_html_join(separator, '<a href="{}">{}</a>', ((url, text) for text, url in links))
