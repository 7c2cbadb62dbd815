"""The dashboard's chart as SVG geometry, drawn by the server (no script, no CDN).

Visitors are an area, page views a line, over one point per hour or day. The vertical scale
ends at a round number above the largest value, with four gridlines; the horizontal axis is
labelled at most about eight times, at evenly spaced points. The template writes the shapes
out and escapes every text, like any other; a table beside it carries the same numbers for
screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import attrs

from tracking_core.reports.ranges import Granularity
from tracking_core.reports.report import Point

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
MAX_LABELS = 8


@attrs.frozen
class Tick:
    position: float
    label: str


@attrs.frozen
class Bar:
    """One point, as a hit area with its numbers (shown on hover, ``<title>``)."""

    x: float
    width: float
    label: str
    visitors: int
    page_views: int


@attrs.frozen
class Chart:
    width: int
    height: int
    #: The visitors' area and the page views' line, as SVG path data.
    visitors_area: str
    visitors_line: str
    views_line: str
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    bars: tuple[Bar, ...]
    baseline: float
    left: float
    right: float


def nice_ceiling(value: int) -> int:
    """The top of the scale: four gridline steps of 1, 2, 2.5 or 5 times a power of ten (a
    whole number), the smallest reaching ``value`` (at least 4)."""
    power = 1
    while True:
        # 2.5 times 1 is no whole number: the scale of tens starts at 25.
        for step in (power, 2 * power, 5 * power // 2, 5 * power):
            if step * 4 >= value:
                return 4 * step
        power *= 10


def point_label(point: Point, granularity: Granularity, tz: ZoneInfo) -> str:
    local = point.start.astimezone(tz)
    if granularity is Granularity.HOUR:
        return local.strftime("%H:%M")
    return f"{local.strftime('%b')} {local.day}"


def draw(points: Sequence[Point], granularity: Granularity, tz: ZoneInfo) -> Chart:
    top_value = nice_ceiling(max((max(p.visitors, p.page_views) for p in points), default=0))
    inner_width = WIDTH - LEFT - RIGHT
    inner_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + inner_height
    step = inner_width / max(len(points), 1)

    def x(index: int) -> float:
        return round(LEFT + step * (index + 0.5), 1)

    def y(value: int) -> float:
        return round(baseline - inner_height * value / top_value, 1)

    visitors = [(x(i), y(p.visitors)) for i, p in enumerate(points)]
    views = [(x(i), y(p.page_views)) for i, p in enumerate(points)]
    every = max(1, math.ceil(len(points) / MAX_LABELS))
    labels = [point_label(p, granularity, tz) for p in points]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        visitors_area=_area(visitors, baseline),
        visitors_line=_line(visitors),
        views_line=_line(views),
        y_ticks=tuple(Tick(y(top_value * n // 4), f"{top_value * n // 4:,}") for n in range(5)),
        x_ticks=tuple(Tick(x(i), labels[i]) for i in range(0, len(points), every)),
        bars=tuple(
            Bar(round(LEFT + step * i, 1), round(step, 1), labels[i], p.visitors, p.page_views)
            for i, p in enumerate(points)
        ),
        baseline=baseline,
        left=LEFT,
        right=WIDTH - RIGHT,
    )


def _line(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if n == 0 else 'L'}{px},{py}" for n, (px, py) in enumerate(points))


def _area(points: list[tuple[float, float]], baseline: float) -> str:
    if not points:
        return ""
    first, last = points[0][0], points[-1][0]
    return f"M{first},{baseline} " + _line(points).replace("M", "L", 1) + f" L{last},{baseline} Z"
