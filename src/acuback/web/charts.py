"""Trajectory charts as SVG (matplotlib), cached on disk by their content.

Used on the outcomes page and, later, in the PDF reports: same SVG in both.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date

from django.conf import settings


@dataclass(frozen=True)
class ChartPoint:
    day: date
    value: float


def trajectory_svg(*, title: str, points: list[ChartPoint], y_min: float, y_max: float,
                   baseline: float | None, mcid_band: tuple[float, float] | None,
                   session_days: list[date], y_label: str) -> str:
    """An SVG line chart; the same data always gives the same file (cached)."""
    key = hashlib.sha256(json.dumps(
        [title, [(p.day.isoformat(), p.value) for p in points], y_min, y_max, baseline,
         mcid_band, [d.isoformat() for d in session_days], y_label]).encode()).hexdigest()
    cache_dir = settings.DATA_DIR / "charts"
    cached = cache_dir / f"{key}.svg"
    if cached.exists():
        return cached.read_text()
    svg = _draw(title, points, y_min, y_max, baseline, mcid_band, session_days, y_label)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    tmp.write_text(svg)
    tmp.replace(cached)  # atomic: a reader never sees half a file
    return svg


def _draw(title, points, y_min, y_max, baseline, mcid_band, session_days, y_label) -> str:
    import matplotlib

    matplotlib.use("svg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 2.6), dpi=100)
    axes = figure.add_subplot()
    if mcid_band is not None:
        axes.axhspan(*mcid_band, color="#e3f3e8", label="change smaller than the MCID")
    if baseline is not None:
        axes.axhline(baseline, color="#5b6876", linestyle="--", linewidth=1, label="baseline")
    for day in session_days:
        axes.axvline(day, color="#d6dde4", linewidth=1)
    if points:
        axes.plot([p.day for p in points], [p.value for p in points], marker="o",
                  color="#1f6f8b", linewidth=2, label=title)
    axes.set_ylim(y_min, y_max)
    axes.set_ylabel(y_label)
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=7, loc="upper right")
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]  # drop the XML prolog so it can sit inline in HTML
