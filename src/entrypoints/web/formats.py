"""How the dashboard writes numbers: grouped digits, short percentages and durations, and
changes from the previous period with whether they are good news."""

from __future__ import annotations

from datetime import timedelta

import attrs

from tracking_core.reports.sessions import relative_change


def number(value: float) -> str:
    """``1234`` as "1,234"; a fraction with one decimal ("2.5")."""
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def percent(share: float) -> str:
    """A share (0.42) as "42%"; below 10%, with a decimal ("4.2%"); none as "0%"."""
    value = share * 100
    if value == 0:
        return "0%"
    if value < 10:
        return f"{value:.1f}%"
    return f"{value:.0f}%"


def duration(span: timedelta) -> str:
    """ "45s", "3m 05s", "1h 02m"."""
    seconds = round(span.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


@attrs.frozen
class Change:
    text: str
    #: "up", "down" or "flat", for the arrow.
    direction: str
    #: Whether the change is good news ("good", "bad") or neither ("").
    mood: str
    #: Read out in full: "up 12% from 1,000".
    spoken: str


def change(current: float, previous: float, *, lower_is_better: bool = False) -> Change:
    """The relative change from ``previous`` to ``current``."""
    ratio = relative_change(current, previous)
    if ratio is None:
        return Change("new" if current else "\u2013", "flat", "", "no earlier figure to compare")
    return _change(ratio * 100, "%", previous, lower_is_better)


def point_change(current: float, previous: float, *, lower_is_better: bool = False) -> Change:
    """A change between two shares, in percentage points."""
    return _change((current - previous) * 100, " pts", previous * 100, lower_is_better)


def _change(amount: float, unit: str, previous: float, lower_is_better: bool) -> Change:
    rounded = round(amount)
    if rounded == 0:
        return Change(f"0{unit}", "flat", "", f"unchanged from {number(round(previous, 1))}")
    direction = "up" if rounded > 0 else "down"
    good = (rounded > 0) != lower_is_better
    sign = "+" if rounded > 0 else "\u2212"
    return Change(
        f"{sign}{abs(rounded)}{unit}",
        direction,
        "good" if good else "bad",
        f"{direction} {abs(rounded)}{unit.strip()} from {number(round(previous, 1))}",
    )
