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
    html = day_rows([entry()], "TOKEN")
    assert f'formaction="{action("check_in")}">Check in' in html
    assert f'formaction="{action("no_show")}" class="secondary">No-show' in html
    assert f'action="{action("cancel")}"' in html and 'value="TOKEN"' in html
    assert "Complete" not in html
    assert f'<a href="{reverse("patient_chart", args=[42])}">Alice Archer</a>' in html
    assert "09:00–09:45" in html and '<span class="status warn">Booked</span>' in html


def test_a_checked_in_visit_can_be_completed_or_cancelled():
    html = day_rows([entry(AppointmentStatus.CHECKED_IN)], "TOKEN")
    assert f'formaction="{action("complete")}">Complete' in html
    assert "Check in" not in html and "No-show" not in html and "Cancel appointment" in html


def test_a_closed_visit_has_no_actions_and_shows_why_it_was_cancelled():
    html = day_rows([entry(AppointmentStatus.CANCELLED, cancel_reason="Snowed in")], "TOKEN")
    assert '<span class="status bad">Cancelled</span><br><span class="muted">Snowed in' in html
    assert "<button" not in html and "TOKEN" not in html
    assert '<span class="status ok">Completed</span>' in day_rows(
        [entry(AppointmentStatus.COMPLETED)], "TOKEN")


def test_what_is_due_is_listed_and_nothing_due_is_a_dash():
    html = day_rows([entry(due=["treatment consent", "intake screening"])], "T")
    assert ('<span class="status warn">treatment consent</span> '
            '<span class="status warn">intake screening</span>') in html
    assert "<td>—</td>" in day_rows([entry()], "T")


def test_every_value_is_escaped():
    hostile = '<script>alert("x")</script>'
    html = day_rows([entry(AppointmentStatus.CANCELLED, patient_name=hostile,
                           practitioner_name=hostile, type_name=hostile,
                           location_name=hostile, cancel_reason=hostile, due=[hostile])],
                    '"><script>')
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
    parser.feed(day_rows(entries, "T"))
    parser.close()
    assert parser.open == []
    text = "".join(parser.text)
    for e in entries:
        assert e.patient_name in text
