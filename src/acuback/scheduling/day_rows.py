"""The day view's table rows and the calendar's time grids, formatted in Python instead
of the template language.

The busiest day of a 10,000-patient clinic has 168 visits; through the template engine
its rows cost about 0.08 ms each, 14 ms a page and most of it. Formatted here they cost
a tenth of that. (Django's admin builds its change-list rows in Python the same way.)
Every value from the database goes through escape(); the markup is the one the
template had, so the stylesheet and the browser tests see the same page.

The time grids (``grid_tables``, below) are plain HTML tables too: a busy day's grid has
about a thousand cells. A table works without JavaScript: each free cell is a link to the
booking page preset with its practitioner, location, day and time, and each booked visit
has its "Move…" link; calendar-grid.js adds drag and drop on top (the data- attributes
are for it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape  # the function Django's escape() wraps, without its lazy-string check
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from acuback.web.links import url_format

from .grid import Cell, Column
from .models import AppointmentStatus
from .selectors import CalendarEntry, CalendarGrid
from .slots import on_visit_day

_ROW = """<tr class="status-{status}">
    <td>{hours}<br><span class="muted">{location}</span></td>
    <td><a href="{chart}">{patient}</a></td>
    <td class="hide-narrow">{practitioner}</td>
    <td>{type}</td>
    <td><span class="status {tone}">{status_label}</span>{reason}</td>
    <td>{due}</td>
    <td>{actions}</td>
  </tr>
"""
_REASON = '<br><span class="muted">{}</span>'
_DUE = '<span class="status warn">{}</span> '
# The check-in, no-show and complete buttons submit the page's one shared form
# (id "day-actions"); their formaction says which appointment and what.
_BOOKED = ('<button type="submit" form="day-actions" formaction="{check_in}">Check in</button>\n'
           '        <button type="submit" form="day-actions" formaction="{no_show}" '
           'class="secondary">No-show</button>')
_CHECKED_IN = '<button type="submit" form="day-actions" formaction="{complete}">Complete</button>'
# Check-in, complete and no-show belong to the visit's day, and so does their undo.
_UNDO = ('<button type="submit" form="day-actions" formaction="{undo}" class="secondary">'
         'Undo {what}</button>')
_UNDO_WHAT = {AppointmentStatus.CHECKED_IN: "check-in", AppointmentStatus.COMPLETED: "completion",
              AppointmentStatus.NO_SHOW: "no-show"}
_CANCEL = ('\n        <details><summary>Cancel…</summary><form method="post" action="{cancel}" '
           'class="inline"><input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
           '<label for="r-{pk}">Reason</label><input id="r-{pk}" name="reason" required '
           'maxlength="300"><button type="submit" class="secondary">Cancel appointment</button>'
           '</form></details>')
# Moving is a page of its own (a form; the times offered as when booking).
_MOVE = '<a href="{move}" class="button secondary">Move…</a>'
_TONE = {AppointmentStatus.CANCELLED: "bad", AppointmentStatus.NO_SHOW: "bad",
         AppointmentStatus.BOOKED: "warn"}


def day_rows(entries: Iterable[CalendarEntry], csrf_token: str, now: datetime) -> SafeString:
    chart = url_format("patient_chart", "pk")
    action = url_format("appointment_action", "pk", "a")
    move = url_format("appointment_move", "pk")
    csrf = escape(csrf_token)
    rows = []
    for e in entries:
        links = {a: action.format(pk=e.pk, a=a)
                 for a in ("check_in", "no_show", "complete", "cancel", "undo")}
        today = on_visit_day(e.local_start, now, e.local_start.tzinfo)
        parts = []
        if today and e.status == AppointmentStatus.BOOKED:
            parts.append(_BOOKED.format(**links))
        elif today and e.status == AppointmentStatus.CHECKED_IN:
            parts.append(_CHECKED_IN.format(**links))
        if today and e.status in _UNDO_WHAT:
            parts.append(_UNDO.format(undo=links["undo"], what=_UNDO_WHAT[e.status]))
        if e.status == AppointmentStatus.BOOKED:
            parts.append(_MOVE.format(move=move.format(pk=e.pk)))
        if e.is_open:
            parts.append(_CANCEL.format(cancel=links["cancel"], csrf=csrf, pk=e.pk))
        actions = "\n        ".join(p.lstrip("\n ") for p in parts)
        rows.append(_ROW.format(
            status=escape(e.status), hours=escape(e.hours), location=escape(e.location_name),
            chart=chart.format(pk=e.patient_id), patient=escape(e.patient_name),
            practitioner=escape(e.practitioner_name), type=escape(e.type_name),
            tone=_TONE.get(e.status, "ok"), status_label=escape(e.status_label),
            reason=_REASON.format(escape(e.cancel_reason)) if e.cancel_reason else "",
            due="".join(_DUE.format(escape(d)) for d in e.due) or "—", actions=actions))
    return mark_safe("".join(rows))  # noqa: S308 (every value above is escaped)  # nosec B308 B703


# The time grids.
_VISIT = ('<div class="visit visit-{status}" id="visit-{pk}"{drag}>'
          '<span class="visit-when">{hours}</span> <a href="{chart}">{patient}</a>'
          '<span class="visit-what"> · {type}</span> '
          '<strong class="visit-status">{status_label}</strong>{reason}{move}</div>')
_DRAG = ' draggable="true" data-appointment="{pk}" data-move="{move}" data-patient="{patient}"'
_VISIT_MOVE = ' <a href="{move}" class="visit-move">Move…</a>'
_VISIT_REASON = '<span class="visit-reason"> ({})</span>'
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
        reason=_VISIT_REASON.format(escape(e.cancel_reason)) if e.cancel_reason else "",
        move=_VISIT_MOVE.format(move=move_url) if movable else "")


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
