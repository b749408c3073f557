"""The chart's who-may-treat list items (patients/chart_rows.py)."""

from __future__ import annotations

from django.urls import reverse

from acuback.accounts.models import Location, Practitioner
from acuback.clinical.credentials import Clearance
from acuback.patients.chart_rows import who_may_treat_rows
from acuback.patients.selectors import LocationClearance, TreatingOption


def _practitioner(pk: int, name: str) -> Practitioner:
    return Practitioner(pk=pk, display_name=name, profession="acupuncturist")


def test_cleared_first_and_linked_then_the_others_with_their_reason_all_escaped(db):
    site = Location(pk=1, name="Main", jurisdiction="US-IL")
    [(location, items)] = who_may_treat_rows([LocationClearance(site, [
        TreatingOption(_practitioner(5, "Lee <Li>"), Clearance(False, "licence for US-IL is "
                                                                      "expired")),
        TreatingOption(_practitioner(6, "Ann & Co"), Clearance(True, "current licence")),
    ])])
    assert location is site
    cleared, not_cleared = items.split("</li>")[:2]
    registry = reverse("practitioner_detail", args=[6])
    assert cleared.startswith('<li><span class="status ok">Cleared</span> '
                              f'<a href="{registry}">Ann &amp; Co</a> '
                              '<span class="muted">Licensed acupuncturist</span>')
    assert not_cleared == ('<li><span class="status bad">Not cleared</span> Lee &lt;Li&gt; '
                           '<span class="muted">— licence for US-IL is expired</span>')


def test_a_location_where_nobody_is_cleared_says_so(db):
    [(_, items)] = who_may_treat_rows([LocationClearance(Location(pk=1, name="Annex"), [
        TreatingOption(_practitioner(5, "Lee"), Clearance(False, "no licence"))])])
    assert items.startswith('<li><span class="status bad">Nobody is cleared to needle here '
                            'today.</span></li>')
