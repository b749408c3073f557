"""The calendar's time grids as a plain HTML table, formatted in Python as the day view's
rows are (day_rows.py: a busy day's grid has about a thousand cells, too many for the
template language at the day view's budget). Every value from the database goes through
escape().

A table works without JavaScript: each free cell is a link to the booking page preset
with its practitioner, location, day and time, and each booked visit has its "Move…" link.
calendar-grid.js adds drag and drop on top (the data- attributes are for it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from acuback.web.links import url_format

from .grid import Cell, Column
from .models import AppointmentStatus
from .selectors import CalendarEntry, CalendarGrid

_VISIT = ('<div class="visit visit-{status}" id="visit-{pk}"{drag}>'
          '<span class="visit-when">{hours}</span> <a href="{chart}">{patient}</a>'
          '<span class="visit-what"> · {type}</span> '
          '<strong class="visit-status">{status_label}</strong>{reason}{move}</div>')
_DRAG = ' draggable="true" data-appointment="{pk}" data-move="{move}" data-patient="{patient}"'
_MOVE = ' <a href="{move}" class="visit-move">Move…</a>'
_REASON = '<span class="visit-reason"> ({})</span>'
_FREE = ('<a class="free-slot" href="{book}" data-practitioner="{practitioner}" '
         'data-location="{location}" data-start="{start}"><span class="visually-hidden">'
         'Book </span>{clock}<span class="visually-hidden"> {whom}</span></a>')
# Not working, gone or busy without a visit of this column (a buffer, a held slot): a
# pattern and a word for screen readers, not colour alone.
_EMPTY = {"closed": '<td class="closed"><span class="visually-hidden">not working</span></td>',
          "past": '<td class="past"></td>',
          "taken": '<td class="taken"><span class="visually-hidden">busy</span></td>'}


def _visit(e: CalendarEntry, chart: str, move: str, may_move: bool) -> str:
    movable = may_move and e.status == AppointmentStatus.BOOKED
    move_url = move.format(pk=e.pk)
    return _VISIT.format(
        status=escape(e.status), pk=e.pk, hours=escape(e.hours),
        drag=_DRAG.format(pk=e.pk, move=move_url, patient=escape(e.patient_name))
        if movable else "",
        chart=chart.format(pk=e.patient_id), patient=escape(e.patient_name),
        type=escape(e.type_name), status_label=escape(e.status_label),
        reason=_REASON.format(escape(e.cancel_reason)) if e.cancel_reason else "",
        move=_MOVE.format(move=move_url) if movable else "")


def _free(start: datetime, column: Column, book: str, whom: str) -> str:
    """A free time: a link to the booking page preset with it (and a drop target)."""
    clock = f"{start.hour:02}:{start.minute:02}"
    query = urlencode({"practitioner": column.practitioner_pk, "location": column.location_pk,
                       "day": column.day.isoformat(), "time": clock})
    return _FREE.format(practitioner=column.practitioner_pk, location=column.location_pk,
                        start=start.isoformat(), book=f"{book}?{escape(query)}",
                        clock=clock, whom=whom)


def _cell(cell: Cell, column: Column, book: str, whom: str, visit) -> str:
    if cell.kind == "visits":
        span = f' rowspan="{cell.rows}"' if cell.rows > 1 else ""
        # The time a cancelled visit or a no-show left free is bookable from its cell.
        free = (f'<span class="free-in">{" ".join(_free(s, column, book, whom) for s in cell.free)}'
                '</span>' if cell.free else "")
        return f'<td class="visits"{span}>{"".join(visit(e) for e in cell.entries)}{free}</td>'
    if cell.kind != "free" or cell.start is None:
        return _EMPTY[cell.kind]
    return f'<td class="free">{_free(cell.start, column, book, whom)}</td>'


def grid_tables(grids: Iterable[CalendarGrid], *, may_move: bool, week: bool = False,
                kept: str = "") -> SafeString:
    """Each grid as a captioned table in a region that scrolls sideways on a narrow screen
    (the time column stays in view). A week's day headings link to that day, with the
    filters ``kept`` (a query string)."""
    chart = url_format("patient_chart", "pk")
    move = url_format("appointment_move", "pk")
    book = reverse("appointment_book")
    day_view = reverse("calendar_day")
    kept = f"&amp;{escape(kept)}" if kept else ""
    out = []
    for n, g in enumerate(grids):
        place = escape(g.location.name)
        what = (f"{escape(g.columns[0].label)}, week of {g.days[0]:%A %-d %B %Y}" if week
                else f"{g.days[0]:%A %-d %B %Y}")
        heads = []
        for c in g.columns:
            title = (f'<a href="{day_view}?date={c.day.isoformat()}{kept}">{c.day:%a %-d %b}</a>'
                     if week else escape(c.label))
            note = f'<br><small class="muted">{escape(c.note)}</small>' if c.note else ""
            heads.append(f'<th scope="col">{title}{note}</th>')
        whom = [escape(f"on {c.day:%A %-d %B}" if week else f"with {c.label}") for c in g.columns]
        by_row = [{cell.row: cell for cell in cells} for cells in g.cells]
        body = []
        for r, clock in enumerate(g.rows):
            hour = ' class="hour"' if clock.minute == 0 else ""
            tr = [f'<tr{hour}><th scope="row">{clock.hour:02}:{clock.minute:02}</th>']
            for i, column in enumerate(g.columns):
                cell = by_row[i].get(r)
                if cell is not None:
                    tr.append(_cell(cell, column, book, whom[i],
                                    lambda e: _visit(e, chart, move, may_move)))
            body.append("".join(tr) + "</tr>")
        out.append(
            f'<section class="cal-grid-block" aria-labelledby="grid-{n}">'
            f'<h2 id="grid-{n}">{place}</h2>'
            f'<div class="cal-scroll" tabindex="0" role="region" aria-labelledby="grid-{n}">'
            f'<table class="cal-grid" data-location="{g.location.pk}">'
            f'<caption>{what} at {place}. Times in {escape(g.zone)}; a row is '
            f'{g.step_minutes} minutes.</caption>'
            f'<thead><tr><th scope="col">Time</th>{"".join(heads)}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div></section>')
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped)  # nosec B308 B703
