"""A date range read as whole months and the days around them."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from adapters.sql.report_periods import day_number, month_index, periods

EPOCH = date(1970, 1, 1)


@given(
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    st.integers(0, 800),
    st.none() | st.integers(month_index(date(2019, 1, 1)), month_index(date(2032, 1, 1))),
)
def test_every_day_of_the_range_is_read_exactly_once(
    first: date, length: int, closed_through: int | None
) -> None:
    last = first + timedelta(days=length)
    span = periods(first, last, closed_through)

    days = [d for low, high in span.days for d in range(low, high + 1)]
    if span.months:
        low, high = span.months
        days += [
            day_number(EPOCH + timedelta(days=d))
            for d in range(day_number(first), day_number(last) + 1)
            if low <= month_index(EPOCH + timedelta(days=d)) <= high
        ]

    assert sorted(days) == list(range(day_number(first), day_number(last) + 1))
    if span.months:  # whole months only: none reaches outside the range
        low_start = date(1970 + span.months[0] // 12, span.months[0] % 12 + 1, 1)
        after = span.months[1] + 1
        high_end = date(1970 + after // 12, after % 12 + 1, 1) - timedelta(days=1)
        assert first <= low_start
        assert high_end <= last
        assert closed_through is not None
        assert span.months[1] <= closed_through  # only months with monthly counts


def test_a_year_ending_mid_month_is_eleven_months_and_the_days_at_its_ends() -> None:
    span = periods(date(2025, 6, 16), date(2026, 6, 15), month_index(date(2026, 5, 1)))

    assert span.months == (month_index(date(2025, 7, 1)), month_index(date(2026, 5, 1)))
    assert span.days == (
        (day_number(date(2025, 6, 16)), day_number(date(2025, 6, 30))),
        (day_number(date(2026, 6, 1)), day_number(date(2026, 6, 15))),
    )


def test_a_range_inside_one_month_is_days_only() -> None:
    span = periods(date(2026, 2, 1), date(2026, 2, 27), month_index(date(2026, 10, 1)))

    assert span.months is None
    assert span.days == ((day_number(date(2026, 2, 1)), day_number(date(2026, 2, 27))),)


def test_a_month_that_is_not_over_is_read_from_its_days() -> None:
    span = periods(date(2026, 1, 1), date(2026, 3, 31), month_index(date(2026, 1, 1)))

    assert span.months == (month_index(date(2026, 1, 1)), month_index(date(2026, 1, 1)))
    assert span.days == ((day_number(date(2026, 2, 1)), day_number(date(2026, 3, 31))),)
