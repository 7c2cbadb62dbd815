"""Which stored periods cover a date range: whole months from the monthly counts, the days
around them from the daily counts. A year is then 12 monthly rows per value (plus the odd
days at its ends) instead of 365 daily ones.

Only months that are over have monthly counts (see ``tallies.close_months``): the month
that runs is read from its days.
"""

from __future__ import annotations

from datetime import date, timedelta

import attrs

_EPOCH = date(1970, 1, 1)
_DAY = timedelta(days=1)


def day_number(day: date) -> int:
    return (day - _EPOCH).days


def month_index(day: date) -> int:
    """Months since January 1970, as ``tallies.month_number`` stores them."""
    return (day.year - 1970) * 12 + day.month - 1


@attrs.frozen
class Periods:
    #: Inclusive runs of day numbers read from the daily counts.
    days: tuple[tuple[int, int], ...]
    #: An inclusive run of month numbers read from the monthly counts, if any month is whole.
    months: tuple[int, int] | None


def periods(first: date, last: date, closed_through: int | None) -> Periods:
    """The days ``first`` to ``last`` (inclusive) as whole months, up to the month
    ``closed_through`` (the last with monthly counts), and the days around them."""
    start = first if first.day == 1 else _next_month(first)
    after = _next_month(last)
    stop = after if last == after - _DAY else last.replace(day=1)  # first day not in a month
    stop = start if closed_through is None else min(stop, month_start(closed_through + 1))
    if start >= stop:
        return Periods(((day_number(first), day_number(last)),), None)
    runs = []
    if first < start:
        runs.append((day_number(first), day_number(start - _DAY)))
    if stop <= last:
        runs.append((day_number(stop), day_number(last)))
    return Periods(tuple(runs), (month_index(start), month_index(stop - _DAY)))


def month_start(month: int) -> date:
    """The first day of a month as ``month_index`` numbers it."""
    return date(1970 + month // 12, month % 12 + 1, 1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
