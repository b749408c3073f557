"""An episode's score charts (one per instrument), shared by the outcomes page, the
progress report and the patient portal.

Drawing a chart costs about 60 ms (matplotlib); the SVG is cached by content, so a chart
is drawn once per change. The worker draws an episode's charts after each change
(``outcomes.tasks.charts_draw``, queued when a response is submitted or a session signed),
so the next page finds them ready.
"""

from __future__ import annotations

from django.utils import timezone

from acuback.clinical import instruments, responders
from acuback.web.charts import ChartPoint, trajectory_svg

from . import selectors


def series_chart(series: selectors.Series, session_days, narrow: bool = False) -> str | None:
    instrument = instruments.get(series.instrument_id)
    scored = series.scored
    if not scored:
        return None
    baseline = scored[0].total
    band = responders.no_change_band(instrument.id, baseline)
    return trajectory_svg(
        title=instrument.name,
        points=[ChartPoint(timezone.localtime(r.submitted_at).date(), r.total) for r in scored],
        y_min=instrument.minimum, y_max=instrument.maximum, baseline=baseline, mcid_band=band,
        session_days=session_days, y_label=instrument.unit or "score", narrow=narrow)


def episode_charts(episode, progress: selectors.Progress | None = None,
                   session_days: list | None = None, narrow: bool = False,
                   ) -> list[tuple[selectors.Series, str | None]]:
    """`narrow`: for a page read on a phone first (the patient's own progress)."""
    progress = progress or selectors.progress(episode)
    if session_days is None:
        session_days = [s.session_date for s in selectors.signed_sessions(episode)]
    return [(s, series_chart(s, session_days, narrow)) for s in progress.series]
