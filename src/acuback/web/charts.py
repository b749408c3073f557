"""Charts as SVG (matplotlib), cached on disk by their content.

The cache key is a hash of everything drawn, so changed data gives a new file (the
old one is never served again) and ``prune`` removes files not used for a while.
Used on the outcomes page, the dashboard and the PDF reports: the same SVG in each.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChartPoint:
    day: date
    value: float


def trajectory_svg(*, title: str, points: list[ChartPoint], y_min: float, y_max: float,
                   baseline: float | None, mcid_band: tuple[float, float] | None,
                   session_days: list[date], y_label: str, narrow: bool = False) -> str:
    """An SVG line chart; the same data always gives the same file (cached). `narrow`:
    drawn for a phone's width, so its text is read at its own size, not shrunk."""
    key = [title, [(p.day.isoformat(), p.value) for p in points], y_min, y_max, baseline,
           mcid_band, [d.isoformat() for d in session_days], y_label]
    if narrow:
        key.append("narrow")
    return _cached(key, lambda: _draw(title, points, y_min, y_max, baseline, mcid_band,
                                      session_days, y_label, narrow))


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[tuple[float, float], ...]  # (week, value)
    style: str = "reference"  # "clinic" is drawn bold with markers


def comparison_svg(*, title: str, series: list[Series], x_label: str, y_label: str) -> str:
    """Lines over weeks since baseline: the clinic beside reference trajectories."""
    key = ["comparison", title, [(s.label, s.points, s.style) for s in series], x_label, y_label]
    return _cached(key, lambda: _draw_comparison(title, series, x_label, y_label))


# Part of every cache key: bump it when the drawing code changes, so old files are not served.
DRAWING_VERSION = 4


def _cache_dir():
    return settings.DATA_DIR / "charts"


def _cached(key: list, draw: Callable[[], str]) -> str:
    digest = hashlib.sha256(json.dumps([DRAWING_VERSION, *key]).encode()).hexdigest()
    cached = _cache_dir() / f"{digest}.svg"
    if cached.exists():
        with contextlib.suppress(OSError):  # a read-only disk: prune() may take it sooner
            os.utime(cached)  # marks it as in use for prune()
        return cached.read_text()
    svg = draw()
    _store(cached, svg)
    return svg


def _store(cached: Path, svg: str) -> None:
    """Write the cache file, or skip it: a full or read-only data folder costs the next
    page a drawing, never the page itself."""
    tmp = cached.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(svg)
        tmp.replace(cached)  # atomic: a reader never sees half a file
    except OSError as exc:
        logger.warning("chart cache not written (%s): %s", cached.name, exc.strerror or exc)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def prune(*, older_than_days: float = 30) -> int:
    """Delete cached charts not drawn or read for the given number of days."""
    directory = _cache_dir()
    if not directory.exists():
        return 0
    cutoff = time.time() - older_than_days * 86400
    removed = 0
    for path in directory.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# A narrow chart is about as wide, in points, as a phone's screen in CSS pixels, so its
# text keeps about its size there (issue #28 §5: 7-point text shrank to 5 px at 390 px).
NARROW_WIDTH_INCHES = 3.6


def _figure(height: float = 2.6, width: float = 6):
    import matplotlib

    matplotlib.use("svg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]  # drop the XML prolog so it can sit inline in HTML


def _draw_comparison(title, series, x_label, y_label) -> str:
    figure = _figure(4.0)
    axes = figure.add_subplot()
    palette = ["#8a6d3b", "#6a5acd", "#5b6876", "#2e8b57", "#b03a2e"]
    for n, line in enumerate(series):
        xs = [w for w, _ in line.points]
        ys = [v for _, v in line.points]
        if line.style == "clinic":
            axes.plot(xs, ys, marker="o", color="#1f6f8b", linewidth=2.5, label=line.label)
        else:
            axes.plot(xs, ys, marker=".", linestyle="--", linewidth=1.2,
                      color=palette[n % len(palette)], label=line.label)
    axes.axhline(0, color="#d6dde4", linewidth=1)
    lowest = min((v for line in series for _, v in line.points), default=0)
    axes.set_ylim(min(lowest * 1.1, -1), max(abs(lowest) * 0.1, 1))
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.set_title(title, fontsize=10)
    # Below the plot, so no line is hidden behind it.
    axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2,
                frameon=False)
    figure.tight_layout()
    return _svg(figure)


def _draw(title, points, y_min, y_max, baseline, mcid_band, session_days, y_label,
          narrow: bool = False) -> str:
    return _svg(trajectory_figure(title, points, y_min, y_max, baseline, mcid_band,
                                  session_days, y_label, narrow))


def trajectory_figure(title, points, y_min, y_max, baseline, mcid_band, session_days, y_label,
                      narrow: bool = False):
    """The matplotlib figure of trajectory_svg (the tests measure its labels)."""
    from matplotlib.dates import DateFormatter

    figure = _figure(3.4, NARROW_WIDTH_INCHES) if narrow else _figure()
    axes = figure.add_subplot()
    if mcid_band is not None:
        # The narrow chart is the patient's: the same band in plain words.
        axes.axhspan(*mcid_band, color="#e3f3e8", label="a change too small to matter"
                     if narrow else "change smaller than the MCID")
    if baseline is not None:
        axes.axhline(baseline, color="#5b6876", linestyle="--", linewidth=1, label="baseline")
    for day in session_days:
        axes.axvline(day, color="#d6dde4", linewidth=1)
    if points:
        axes.plot([p.day for p in points], [p.value for p in points], marker="o",
                  color="#1f6f8b", linewidth=2, label=title)
    axes.set_ylim(y_min, y_max)
    axes.set_ylabel(y_label)
    # Short dates, a few of them: full ISO dates every fortnight overlapped one another
    # once rotated (issue #28 §8, tests/web/test_chart_labels.py).
    axes.xaxis.set_major_formatter(DateFormatter("%-d %b %Y" if _spans_years(points)
                                                 else "%-d %b"))
    axes.xaxis.set_major_locator(_few_ticks())
    days = [p.day for p in points]
    if days and (max(days) - min(days)).days < 7:  # one answer: whole days around it
        axes.set_xlim(min(days) - timedelta(days=7), max(days) + timedelta(days=7))
    if narrow:
        axes.set_title(title, fontsize=11)
        axes.tick_params(labelsize=10)
        # Below the plot, a line each: no entry covers a point or another entry.
        axes.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=1,
                    frameon=False)
    else:
        axes.set_title(title, fontsize=10)
        axes.legend(fontsize=7, loc="upper right")
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def _spans_years(points) -> bool:
    return len({p.day.year for p in points}) > 1


def _few_ticks():
    from matplotlib.dates import AutoDateLocator

    return AutoDateLocator(minticks=2, maxticks=4)


def warm() -> None:
    """Draw one chart of each kind, without caching them: the fonts, text layout and
    renderer state matplotlib builds on its first drawing are then built once, in the
    server before it forks, rather than in each worker on its first uncached chart
    (docs/benchmarks.md: the soak)."""
    start = date(2026, 1, 5)
    _draw("warm", [ChartPoint(start, 6.0), ChartPoint(date(2026, 2, 2), 3.5)], 0, 10, 6.0,
          (4.0, 8.0), [start, date(2026, 1, 19)], "score")
    _draw_comparison("warm", [Series("reference", ((0, 0.0), (8, -10.0))),
                              Series("clinic", ((0, 0.0), (8, -12.0)), "clinic")],
                     "weeks", "change")
