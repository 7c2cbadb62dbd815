"""Ranges read from, and written to, bookmarkable URLs."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracking_core.errors import InvalidInput
from tracking_core.reports.range_query import MAX_CUSTOM_DAYS, custom_range, parse_range
from tracking_core.reports.ranges import DateRange, RangeKind, relative_range

TODAY = date(2026, 3, 15)
PARIS = ZoneInfo("Europe/Paris")


def _errors(query: dict[str, str]) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_range(query, TODAY, PARIS)
    return caught.value.errors


@pytest.mark.parametrize("kind", [kind for kind in RangeKind if kind is not RangeKind.CUSTOM])
def test_a_relative_range_is_read_from_its_name(kind: RangeKind) -> None:
    assert parse_range({"range": kind.value}, TODAY, PARIS) == relative_range(kind, TODAY, PARIS)


@pytest.mark.parametrize("query", [{}, {"range": ""}, {"range": "  "}, {"other": "x"}])
def test_no_range_means_the_last_30_days(query: dict[str, str]) -> None:
    assert parse_range(query, TODAY).kind is RangeKind.LAST_30_DAYS


def test_a_custom_range_is_read_from_its_dates_in_the_site_zone() -> None:
    query = {"range": "custom", "from": "2026-01-01", "to": "2026-01-31", "filter": "page:/"}

    window = parse_range(query, TODAY, PARIS)

    assert window == DateRange(RangeKind.CUSTOM, date(2026, 1, 1), date(2026, 1, 31), PARIS)


custom_ranges = st.builds(
    lambda first, length: custom_range(first, first + timedelta(days=length), PARIS),
    st.dates(date(1970, 1, 1), date(2990, 1, 1)),
    st.integers(0, MAX_CUSTOM_DAYS - 1),
)


relative_ranges = st.sampled_from([k for k in RangeKind if k is not RangeKind.CUSTOM]).map(
    lambda kind: relative_range(kind, TODAY, PARIS)
)


@given(custom_ranges | relative_ranges)
def test_to_query_reads_back_as_the_same_range(window: DateRange) -> None:
    assert parse_range(window.to_query(), TODAY, window.tz) == window


def test_a_relative_range_stays_relative_in_links() -> None:
    assert relative_range(RangeKind.LAST_7_DAYS, TODAY).to_query() == {"range": "7d"}


def test_an_unknown_range_names_the_choices() -> None:
    assert _errors({"range": "yesterday"}) == {
        "range": ["Pick one of: today, 7d, 30d, month, 12mo, custom."]
    }


def test_a_custom_range_without_dates_asks_for_both() -> None:
    assert _errors({"range": "custom"}) == {
        "from": ["Pick a start date."],
        "to": ["Pick an end date."],
    }


@pytest.mark.parametrize(
    "raw", ["2026-1-1", "01/02/2026", "2026-01-01T00:00", "\uff12\uff10\uff12\uff16-01-01", "x"]
)
def test_a_date_in_another_format_is_refused_with_an_example(raw: str) -> None:
    errors = _errors({"range": "custom", "from": raw, "to": "2026-01-31"})

    assert errors == {"from": ["Write the date as YYYY-MM-DD, e.g. 2026-01-31."]}


def test_a_date_that_does_not_exist_is_refused() -> None:
    errors = _errors({"range": "custom", "from": "2026-01-01", "to": "2026-02-30"})

    assert errors == {"to": ["This date does not exist."]}


def test_a_range_ending_before_it_starts_is_refused() -> None:
    errors = _errors({"range": "custom", "from": "2026-02-01", "to": "2026-01-31"})

    assert errors == {"to": ["End on or after the start date."]}


def test_a_custom_range_of_two_years_is_allowed_but_not_one_day_more() -> None:
    first = date(2024, 1, 1)
    longest = custom_range(first, first + timedelta(days=MAX_CUSTOM_DAYS - 1))

    assert longest.days == MAX_CUSTOM_DAYS
    with pytest.raises(InvalidInput) as caught:
        custom_range(first, first + timedelta(days=MAX_CUSTOM_DAYS))
    assert caught.value.errors == {"to": ["Pick at most 731 days (two years)."]}


def test_dates_before_1970_are_refused() -> None:
    errors = _errors({"range": "custom", "from": "1969-12-31", "to": "1970-01-05"})

    assert errors == {"from": ["Pick a date from 1970-01-01 to 2999-12-31."]}


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "range": st.sampled_from([kind.value for kind in RangeKind]) | st.text(max_size=8),
            "from": st.dates().map(str) | st.text(max_size=12),
            "to": st.dates().map(str) | st.text(max_size=12),
        },
    )
)
def test_any_query_gives_a_range_or_field_errors(query: dict[str, str]) -> None:
    outcome = _range_or_error(query)

    if isinstance(outcome, InvalidInput):
        assert set(outcome.errors) <= {"range", "from", "to"}
        assert all(messages for messages in outcome.errors.values())
    else:
        assert outcome.start < outcome.end


def _range_or_error(query: dict[str, str]) -> DateRange | InvalidInput:
    try:
        return parse_range(query, TODAY, PARIS)
    except InvalidInput as error:
        return error


@given(st.dates(date(1970, 1, 1), date(2990, 1, 1)), st.integers(-800, 800))
def test_custom_ranges_backwards_or_over_two_years_are_refused(first: date, length: int) -> None:
    last = first + timedelta(days=length)
    outcome = _range_or_error(
        {"range": "custom", "from": first.isoformat(), "to": last.isoformat()}
    )

    if length < 0 or length >= MAX_CUSTOM_DAYS:
        assert isinstance(outcome, InvalidInput)
        assert list(outcome.errors) == ["to"]
    else:
        assert isinstance(outcome, DateRange)
        assert outcome.days == length + 1
