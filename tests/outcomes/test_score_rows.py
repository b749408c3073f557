"""The outcomes page's score rows (outcomes/score_rows.py): the markup the template had."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from acuback.outcomes.models import QuestionnaireResponse
from acuback.outcomes.score_rows import score_rows


def response(pk, **fields) -> QuestionnaireResponse:
    fields.setdefault("submitted_at", datetime(2026, 3, 2, 15, tzinfo=UTC))
    return QuestionnaireResponse(pk=pk, instrument="odi", **{"time_point": "baseline",
                                                              **fields})


def test_a_scored_response_with_its_band_and_correction_link():
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
