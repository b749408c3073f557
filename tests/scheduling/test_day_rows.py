"""The day view's rows, formatted in Python: the right actions per status, every value
escaped, the same markup whatever the data."""

from __future__ import annotations

from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from acuback.scheduling.day_rows import day_rows
from acuback.scheduling.models import AppointmentStatus
from acuback.scheduling.selectors import CalendarEntry

START = datetime(2026, 5, 5, 9, tzinfo=ZoneInfo("America/Chicago"))


def entry(status=AppointmentStatus.BOOKED, **values) -> CalendarEntry:
    fields = {"pk": 7, "status": status, "status_label": AppointmentStatus(status).label,
              "cancel_reason": "", "patient_id": 42, "patient_name": "Alice Archer",
              "practitioner_name": "Dr Lee", "type_name": "Follow-up", "location_name": "Main",
              "local_start": START, "local_end": START + timedelta(minutes=45), "due": []}
    return CalendarEntry(**{**fields, **values})


def action(name: str) -> str:
    return reverse("appointment_action", args=[7, name])


def test_a_booked_visit_can_be_checked_in_marked_no_show_or_cancelled():
    html = day_rows([entry()], "TOKEN", START)
    assert f'formaction="{action("check_in")}">Check in' in html
    assert f'formaction="{action("no_show")}" class="secondary">No-show' in html
    assert f'action="{action("cancel")}"' in html and 'value="TOKEN"' in html
    assert "Complete" not in html
    assert f'<a href="{reverse("patient_chart", args=[42])}">Alice Archer</a>' in html
    assert "09:00–09:45" in html and '<span class="status warn">Booked</span>' in html


def test_a_checked_in_visit_can_be_completed_or_cancelled():
    html = day_rows([entry(AppointmentStatus.CHECKED_IN)], "TOKEN", START)
    assert f'formaction="{action("complete")}">Complete' in html
    assert "Check in" not in html and "No-show" not in html and "Cancel appointment" in html


def test_a_visit_on_another_day_can_only_be_cancelled():
    for now in (START - timedelta(days=1), START + timedelta(days=1)):
        html = day_rows([entry()], "TOKEN", now)
        assert "Check in" not in html and "No-show" not in html and "Complete" not in html
        assert "Cancel appointment" in html
        html = day_rows([entry(AppointmentStatus.COMPLETED)], "TOKEN", now)
        assert "<button" not in html


def test_the_visits_day_is_the_locations_day_not_utcs():
    # 23:30 in Chicago is already the next day in UTC and on the server.
    late = datetime(2026, 5, 5, 23, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert "Check in" in day_rows([entry()], "T", late.astimezone(ZoneInfo("UTC")))
    assert "Check in" not in day_rows([entry()], "T", START + timedelta(hours=15, minutes=1))


def test_on_the_day_what_happened_can_be_undone():
    for status, what in ((AppointmentStatus.CHECKED_IN, "check-in"),
                         (AppointmentStatus.COMPLETED, "completion"),
                         (AppointmentStatus.NO_SHOW, "no-show")):
        html = day_rows([entry(status)], "TOKEN", START)
        assert f'formaction="{action("undo")}" class="secondary">Undo {what}' in html
    assert "Undo" not in day_rows([entry(AppointmentStatus.CANCELLED)], "TOKEN", START)


def test_a_closed_visit_has_no_actions_and_shows_why_it_was_cancelled():
    html = day_rows([entry(AppointmentStatus.CANCELLED, cancel_reason="Snowed in")], "TOKEN",
                    START)
    assert '<span class="status bad">Cancelled</span><br><span class="muted">Snowed in' in html
    assert "<button" not in html and "TOKEN" not in html
    assert '<span class="status ok">Completed</span>' in day_rows(
        [entry(AppointmentStatus.COMPLETED)], "TOKEN", START)


def test_what_is_due_is_listed_and_nothing_due_is_a_dash():
    html = day_rows([entry(due=["treatment consent", "intake screening"])], "T", START)
    assert ('<span class="status warn">treatment consent</span> '
            '<span class="status warn">intake screening</span>') in html
    assert "<td>—</td>" in day_rows([entry()], "T", START)


def test_every_value_is_escaped():
    hostile = '<script>alert("x")</script>'
    html = day_rows([entry(AppointmentStatus.CANCELLED, patient_name=hostile,
                           practitioner_name=hostile, type_name=hostile,
                           location_name=hostile, cancel_reason=hostile, due=[hostile])],
                    '"><script>', START)
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 6


class _Balance(HTMLParser):
    VOID = {"br", "input"}

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open.pop() == tag

    def handle_data(self, data):
        self.text.append(data)


@given(st.lists(st.builds(
    entry, status=st.sampled_from(AppointmentStatus.values),
    patient_name=st.text(max_size=30), cancel_reason=st.text(max_size=30),
    due=st.lists(st.text(max_size=20), max_size=3)), max_size=5))
def test_any_values_give_balanced_rows_showing_them_as_text(entries):
    parser = _Balance()
    parser.feed(day_rows(entries, "T", START))
    parser.close()
    assert parser.open == []
    text = "".join(parser.text)
    for e in entries:
        assert e.patient_name in text
