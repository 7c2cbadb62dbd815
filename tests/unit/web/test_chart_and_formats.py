"""The dashboard's chart geometry and its way with numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entrypoints.web import formats
from entrypoints.web.chart import HEIGHT, TOP, draw, nice_ceiling
from tracking_core.reports.ranges import Granularity
from tracking_core.reports.report import Point

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@given(st.integers(0, 10**9))
def test_the_scale_ends_at_a_round_number_split_in_four_whole_steps(value: int) -> None:
    top = nice_ceiling(value)

    assert top >= max(value, 4)
    assert top % 4 == 0
    assert top < max(value, 4) * 2.6  # never needlessly tall


def test_points_are_placed_in_the_chart_and_labelled_at_most_eight_times() -> None:
    points = [Point(T0 + timedelta(days=n), n, 2 * n) for n in range(30)]

    chart = draw(points, Granularity.DAY, ZoneInfo("UTC"))

    assert len(chart.bars) == 30
    assert len(chart.x_ticks) <= 8
    assert chart.x_ticks[0].label == "Mar 1"
    assert [t.label for t in chart.y_ticks] == ["0", "20", "40", "60", "80"]
    assert chart.views_line.startswith("M")
    coordinates = [float(c) for part in chart.views_line.split() for c in part[1:].split(",")]
    assert all(TOP <= y <= HEIGHT for y in coordinates[1::2])


def test_hours_are_labelled_in_the_sites_time() -> None:
    chart = draw([Point(T0, 1, 1)], Granularity.HOUR, ZoneInfo("Asia/Kolkata"))

    assert chart.x_ticks[0].label == "05:30"


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (1234, "1,234"), (1.25, "1.2"), (2.0, "2"), (1e6, "1,000,000")]
)
def test_numbers(value: float, text: str) -> None:
    assert formats.number(value) == text


@pytest.mark.parametrize(
    ("share", "text"), [(0, "0%"), (0.042, "4.2%"), (0.42, "42%"), (1.5, "150%")]
)
def test_percentages(share: float, text: str) -> None:
    assert formats.percent(share) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (45, "45s"), (185, "3m 05s"), (3720, "1h 02m")]
)
def test_durations(seconds: int, text: str) -> None:
    assert formats.duration(timedelta(seconds=seconds)) == text


def test_changes_say_how_much_and_whether_that_is_good() -> None:
    assert formats.change(120, 100) == formats.Change("+20%", "up", "good", "up 20% from 100")
    assert formats.change(0, 0).text == "\u2013"
    assert formats.change(5, 0).text == "new"
    bounce = formats.point_change(0.5, 0.4, lower_is_better=True)
    assert (bounce.text, bounce.mood) == ("+10 pts", "bad")
