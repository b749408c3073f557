"""The outcomes page's lists (outcomes/page_html.py): the markup the template had."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from acuback.outcomes.models import QuestionnaireResponse
from acuback.outcomes.page_html import instrument_checkboxes, link_list, score_rows


def response(pk, **fields) -> QuestionnaireResponse:
    fields.setdefault("submitted_at", datetime(2026, 3, 2, 15, tzinfo=UTC))
    return QuestionnaireResponse(pk=pk, instrument="odi", **{"time_point": "baseline",
                                                              **fields})


def test_a_scored_response_with_its_band_and_correction_link():
    with timezone.override("America/Chicago"):  # as a request of the clinic's staff
        html = score_rows([response(7, total=12.25, band="minimal <disability>")],
                          "/patients/3/outcomes/responses/{response}/correct/")
    assert html == ('<tr><td>2026-03-02</td><td>Baseline (intake)</td>'
                    '<td>12.3 <span class="muted">minimal &lt;disability&gt;</span></td>\n'
                    '        <td><a href="/patients/3/outcomes/responses/7/correct/">Correct</a>'
                    '</td></tr>')


def test_an_unscored_correction_without_a_link_for_a_viewer_who_may_not_enter():
    html = score_rows([response(8, total=None, score_note="too many items missing",
                                supersedes_id=7, time_point="review")], None)
    assert '<td><span class="muted">too many items missing</span></td>' in html
    assert "Correct</a>" not in html and '<span class="muted">(correction)</span>' in html
    assert "<td>Review" in html


def test_the_date_is_the_clinics_local_date(settings):
    late_evening_in_chicago = datetime(2026, 1, 1, 3, tzinfo=UTC)
    with timezone.override("America/Chicago"):
        html = score_rows([response(9, total=4.0, submitted_at=late_evening_in_chicago)], None)
    assert html.startswith("<tr><td>2025-12-31</td>") and "<td>4.0</td>" in html


def test_each_episodes_checkboxes_have_ids_of_their_own_with_their_labels():
    html = instrument_checkboxes([("nrs", "Pain NRS"), ("odi", "Oswestry <ODI>")], 41)
    assert html == ('<div><label for="link41-i0"><input type="checkbox" name="instruments" '
                    'value="nrs" id="link41-i0"> Pain NRS</label></div>'
                    '<div><label for="link41-i1"><input type="checkbox" name="instruments" '
                    'value="odi" id="link41-i1"> Oswestry &lt;ODI&gt;</label></div>')


def test_links_are_escaped_and_joined():
    assert link_list([("odi", "/a/?time_point=other&x=1"), ("nrs", "/b/")]) == (
        '<a href="/a/?time_point=other&amp;x=1">odi</a> <a href="/b/">nrs</a>')
