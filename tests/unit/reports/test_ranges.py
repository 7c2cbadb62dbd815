"""Date ranges in the site's time zone: their days, instants, comparison period and buckets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracking_core.errors import InvalidInput
from tracking_core.reports.local_time import hour_starts, local_midnight, local_today, zone
from tracking_core.reports.ranges import DateRange, Granularity, RangeKind, relative_range

ZONES = [
    ZoneInfo(name)
    for name in ("UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")
]
RELATIVE = [kind for kind in RangeKind if kind is not RangeKind.CUSTOM]
ONE_SECOND = timedelta(seconds=1)

zones = st.sampled_from(ZONES)
days = st.dates(date(1990, 1, 1), date(2060, 12, 31))
#: Days around the clock changes of the zones above, so the property tests meet them often.
change_days = st.sampled_from(
    [
        *(date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 10, 4)),
        *(date(2026, 10, 25), date(2026, 11, 1), date(2024, 2, 29), date(2025, 12, 31)),
    ]
).flatmap(lambda day: st.integers(-2, 2).map(lambda shift: day + timedelta(days=shift)))
any_day = days | change_days


@st.composite
def ranges(draw: st.DrawFn) -> DateRange:
    tz = draw(zones)
    if draw(st.booleans()):
        return relative_range(draw(st.sampled_from(RELATIVE)), draw(any_day), tz)
    first = draw(any_day)
    return DateRange(RangeKind.CUSTOM, first, first + timedelta(days=draw(st.integers(0, 40))), tz)


def _local(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz)


@given(ranges())
def test_a_range_is_a_non_empty_half_open_interval_of_whole_local_days(window: DateRange) -> None:
    assert window.start < window.end
    assert window.days >= 1
    assert _local(window.start, window.tz).date() == window.first_day
    assert _local(window.start - ONE_SECOND, window.tz).date() == window.first_day - timedelta(1)
    assert _local(window.end - ONE_SECOND, window.tz).date() == window.last_day
    assert _local(window.end, window.tz).date() == window.last_day + timedelta(1)
    assert window.contains(window.start)
    assert not window.contains(window.end)


@given(ranges())
def test_the_previous_period_ends_where_the_range_starts_with_as_many_local_days(
    window: DateRange,
) -> None:
    previous = window.previous()

    if window.kind is RangeKind.THIS_MONTH:
        assert previous.first_day.day == 1
        assert previous.first_day.month != window.first_day.month
        assert previous.end <= window.start
        assert previous.days == min(window.days, (window.first_day - previous.first_day).days)
    else:
        assert previous.end == window.start
        assert previous.days == window.days


@given(ranges())
def test_buckets_start_at_the_range_start_and_cover_it_in_order(window: DateRange) -> None:
    buckets = window.buckets()

    assert buckets[0] == window.start
    assert all(a < b for a, b in pairwise(buckets))
    assert buckets[-1] < window.end
    assert all(bucket.tzinfo is UTC for bucket in buckets)


@given(ranges().filter(lambda window: window.days > 1))
def test_a_range_of_several_days_has_one_bucket_per_local_midnight(window: DateRange) -> None:
    buckets = window.buckets()

    assert window.granularity is Granularity.DAY
    assert len(buckets) == window.days
    for i, bucket in enumerate(buckets):
        assert _local(bucket, window.tz).date() == window.first_day + timedelta(days=i)
        assert _local(bucket, window.tz).time() == time(0, 0)


@given(zones, any_day)
def test_a_single_day_has_one_bucket_per_local_clock_hour_across_clock_changes(
    tz: ZoneInfo, day: date
) -> None:
    window = DateRange(RangeKind.CUSTOM, day, day, tz)
    buckets = window.buckets()
    ends = [*buckets[1:], window.end]

    assert window.granularity is Granularity.HOUR
    for start, end in zip(buckets, ends, strict=True):
        first, last = _local(start, tz), _local(end - ONE_SECOND, tz)
        # A bucket is one hour of the wall clock at one offset: it starts on the hour unless
        # the offset changed right there, and it ends before the hour or the offset changes.
        offset_changed = first.utcoffset() != _local(start - ONE_SECOND, tz).utcoffset()
        assert (first.minute, first.second) == (0, 0) or offset_changed
        assert (first.hour, first.utcoffset()) == (last.hour, last.utcoffset())
        assert end - start <= timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone_name", "day", "hours", "count"),
    [
        ("America/New_York", date(2026, 3, 8), 23, 23),
        ("America/New_York", date(2026, 11, 1), 25, 25),
        ("Europe/Paris", date(2026, 3, 29), 23, 23),
        ("Europe/Paris", date(2026, 10, 25), 25, 25),
        ("Europe/Paris", date(2026, 6, 1), 24, 24),
        ("Australia/Lord_Howe", date(2026, 10, 4), 23.5, 24),
        ("Australia/Lord_Howe", date(2026, 4, 5), 24.5, 25),
        ("Asia/Kolkata", date(2026, 3, 8), 24, 24),
    ],
)
def test_clock_change_days_have_as_many_hours_and_buckets_as_the_clock_shows(
    zone_name: str, day: date, hours: float, count: int
) -> None:
    window = DateRange(RangeKind.CUSTOM, day, day, ZoneInfo(zone_name))

    assert window.end - window.start == timedelta(hours=hours)
    assert len(window.buckets()) == count


def test_lord_howe_gets_a_half_hour_bucket_where_its_clock_moves_half_an_hour() -> None:
    tz = ZoneInfo("Australia/Lord_Howe")
    buckets = DateRange(RangeKind.CUSTOM, date(2026, 10, 4), date(2026, 10, 4), tz).buckets()

    labels = [bucket.astimezone(tz).strftime("%H:%M") for bucket in buckets[:4]]

    assert labels == ["00:00", "01:00", "02:30", "03:00"]
    assert buckets[3] - buckets[2] == timedelta(minutes=30)


def test_kolkata_hours_begin_at_half_past_in_utc() -> None:
    window = DateRange(
        RangeKind.CUSTOM, date(2026, 1, 5), date(2026, 1, 5), ZoneInfo("Asia/Kolkata")
    )

    assert {bucket.minute for bucket in window.buckets()} == {30}


@pytest.mark.parametrize(
    ("kind", "first", "last"),
    [
        (RangeKind.TODAY, date(2026, 3, 15), date(2026, 3, 15)),
        (RangeKind.LAST_7_DAYS, date(2026, 3, 9), date(2026, 3, 15)),
        (RangeKind.LAST_30_DAYS, date(2026, 2, 14), date(2026, 3, 15)),
        (RangeKind.THIS_MONTH, date(2026, 3, 1), date(2026, 3, 15)),
        (RangeKind.LAST_12_MONTHS, date(2025, 3, 16), date(2026, 3, 15)),
    ],
)
def test_relative_ranges_end_today_on_the_site_calendar(
    kind: RangeKind, first: date, last: date
) -> None:
    window = relative_range(kind, date(2026, 3, 15), ZoneInfo("Europe/Paris"))

    assert (window.first_day, window.last_day) == (first, last)


def test_the_last_12_months_from_a_leap_day_start_on_the_first_of_march() -> None:
    window = relative_range(RangeKind.LAST_12_MONTHS, date(2024, 2, 29))

    assert window.first_day == date(2023, 3, 1)


@pytest.mark.parametrize(
    ("today", "first", "last"),
    [
        (date(2026, 3, 15), date(2026, 2, 1), date(2026, 2, 15)),
        (date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 1, 10), date(2025, 12, 1), date(2025, 12, 10)),
        (date(2024, 3, 30), date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_this_month_compares_with_the_same_days_of_the_previous_month(
    today: date, first: date, last: date
) -> None:
    previous = relative_range(RangeKind.THIS_MONTH, today).previous()

    assert (previous.first_day, previous.last_day) == (first, last)


def test_today_compares_with_yesterday_hour_by_hour() -> None:
    previous = relative_range(RangeKind.TODAY, date(2026, 3, 15)).previous()

    assert (previous.first_day, previous.last_day) == (date(2026, 3, 14), date(2026, 3, 14))
    assert previous.granularity is Granularity.HOUR


def test_the_site_time_zone_decides_where_today_begins() -> None:
    paris = relative_range(RangeKind.TODAY, date(2026, 7, 1), ZoneInfo("Europe/Paris"))

    assert paris.start == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert local_today(datetime(2026, 6, 30, 22, 30, tzinfo=UTC), ZoneInfo("Europe/Paris")) == (
        date(2026, 7, 1)
    )


def test_a_range_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        DateRange(RangeKind.CUSTOM, date(2026, 1, 2), date(2026, 1, 1))


def test_local_midnight_skipped_by_a_clock_change_is_the_first_instant_of_the_day() -> None:
    santiago = ZoneInfo("America/Santiago")  # clocks jump from 00:00 to 01:00

    start = local_midnight(date(2024, 9, 8), santiago)

    assert start.astimezone(santiago).replace(tzinfo=None) == datetime(2024, 9, 8, 1, 0)
    assert (start - ONE_SECOND).astimezone(santiago).date() == date(2024, 9, 7)


def test_hour_starts_of_an_empty_interval_are_none() -> None:
    instant = datetime(2026, 1, 1, tzinfo=UTC)

    assert hour_starts(instant, instant, ZoneInfo("UTC")) == []


def test_zone_accepts_iana_names() -> None:
    assert zone("Europe/Paris") == ZoneInfo("Europe/Paris")
    assert zone("UTC") == ZoneInfo("UTC")


@pytest.mark.parametrize(
    "name", ["", "Mars/Olympus", "../../etc/passwd", "/etc/passwd", "localtime"]
)
def test_zone_refuses_anything_but_a_zone_name(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        zone(name)

    assert list(caught.value.errors) == ["timezone"]
