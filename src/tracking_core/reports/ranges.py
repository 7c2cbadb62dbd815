"""The date ranges a person picks on the dashboard, and the period each is compared with.

A range is a run of whole days on the site's calendar, ``first_day`` to ``last_day``
inclusive. As instants it is the half-open UTC interval [start, end) from the local midnight
that begins ``first_day`` to the one that ends ``last_day``. Counting in local days rather
than 24-hour steps is what keeps "last 7 days" seven calendar days across a clock change.

Choices where the issue is silent:

- Relative ranges include today, so the newest numbers show at once: "last 7 days" is today
  and the six days before; "last 12 months" is the day after this date a year ago through
  today; "this month" is month-to-date (the 1st through today).
- The previous period is the same number of days ending the day before the range starts,
  except for "this month", which compares with the same days of the previous month (the 1st
  up to the same day, cut at that month's end: March 1-31 compares with February 1-28).
  Calendar months are what people mean by "this month versus last month". A range that
  ends today is compared with whole days, so early in the day its deltas run low.
- A relative range in a link stays relative (``range=7d``), so a bookmark always shows the
  latest week; only a custom range carries dates. ``range_query.parse_range`` reads links.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import attrs

from tracking_core.reports.local_time import UTC_ZONE, hour_starts, local_midnight

ONE_DAY = timedelta(days=1)


class RangeKind(StrEnum):
    """The ranges on offer; each value is how the range is written in a URL."""

    TODAY = "today"
    LAST_7_DAYS = "7d"
    LAST_30_DAYS = "30d"
    THIS_MONTH = "month"
    LAST_12_MONTHS = "12mo"
    CUSTOM = "custom"


class Granularity(StrEnum):
    HOUR = "hour"
    DAY = "day"


@attrs.frozen
class DateRange:
    kind: RangeKind
    first_day: date
    last_day: date = attrs.field()
    tz: ZoneInfo = UTC_ZONE

    @last_day.validator
    def _not_before_first_day(self, _: attrs.Attribute[date], last_day: date) -> None:
        if last_day < self.first_day:
            raise ValueError(f"A range cannot end ({last_day}) before it starts.")

    @property
    def days(self) -> int:
        """How many calendar days the range covers; a day of 23 or 25 hours counts as one."""
        return (self.last_day - self.first_day).days + 1

    @property
    def start(self) -> datetime:
        """The first instant in the range, in UTC."""
        return local_midnight(self.first_day, self.tz)

    @property
    def end(self) -> datetime:
        """The first instant after the range, in UTC (the range is [start, end))."""
        return local_midnight(self.last_day + ONE_DAY, self.tz)

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    @property
    def granularity(self) -> Granularity:
        """Hours for a single day, so the chart has more than one point; days otherwise."""
        return Granularity.HOUR if self.days == 1 else Granularity.DAY

    def buckets(self) -> list[datetime]:
        """The start instant (UTC) of each point of the time-series chart, in order.

        Each bucket runs until the next one starts, the last one until ``end``.
        """
        if self.granularity is Granularity.HOUR:
            return hour_starts(self.start, self.end, self.tz)
        return [local_midnight(self.first_day + ONE_DAY * i, self.tz) for i in range(self.days)]

    def previous(self) -> DateRange:
        """The period the headline numbers are compared with (see the module docstring)."""
        if self.kind is RangeKind.THIS_MONTH:
            end_of_last_month = self.first_day.replace(day=1) - ONE_DAY
            first = end_of_last_month.replace(day=1)
            last = first + ONE_DAY * (min(self.days, end_of_last_month.day) - 1)
            return DateRange(RangeKind.CUSTOM, first, last, self.tz)
        last = self.first_day - ONE_DAY
        return DateRange(RangeKind.CUSTOM, last - ONE_DAY * (self.days - 1), last, self.tz)

    def to_query(self) -> dict[str, str]:
        """The URL query parameters that ``parse_range`` reads back into this range."""
        if self.kind is RangeKind.CUSTOM:
            return {"range": self.kind.value, "from": str(self.first_day), "to": str(self.last_day)}
        return {"range": self.kind.value}


def relative_range(kind: RangeKind, today: date, tz: ZoneInfo = UTC_ZONE) -> DateRange:
    """The range ``kind`` as seen on ``today`` (the site's local date)."""
    if kind is RangeKind.TODAY:
        return DateRange(kind, today, today, tz)
    if kind is RangeKind.LAST_7_DAYS:
        return DateRange(kind, today - ONE_DAY * 6, today, tz)
    if kind is RangeKind.LAST_30_DAYS:
        return DateRange(kind, today - ONE_DAY * 29, today, tz)
    if kind is RangeKind.THIS_MONTH:
        return DateRange(kind, today.replace(day=1), today, tz)
    if kind is RangeKind.LAST_12_MONTHS:
        return DateRange(kind, _year_before(today) + ONE_DAY, today, tz)
    raise ValueError("A custom range needs dates: see range_query.custom_range().")


def _year_before(day: date) -> date:
    # February 29th a year back is February 28th.
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)
