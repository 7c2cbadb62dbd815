"""Ranking a breakdown's rows, and the shares shown beside them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tracking_core.reports.dimensions import Dimension
from tracking_core.reports.report import (
    Breakdown,
    PropertyRow,
    Row,
    count_of,
    ranked,
    ranked_properties,
)


def test_visitors_rank_first_then_the_count_then_the_name() -> None:
    rows = [Row("b", 5, 9), Row("a", 5, 9), Row("c", 5, 12), Row("d", 7, 1), Row("e", 1, 99)]

    assert [r.name for r in ranked(rows, Dimension.PAGE, 4)] == ["d", "c", "a", "b"]


def test_entry_and_exit_pages_rank_by_visits() -> None:
    rows = [Row("/a", 0, 3), Row("/b", 0, 5), Row("/c", 0, 3)]

    assert [r.name for r in ranked(rows, Dimension.EXIT_PAGE, 10)] == ["/b", "/a", "/c"]


@given(st.lists(st.builds(Row, st.text(max_size=3), st.integers(0, 9), st.integers(0, 9))))
def test_ranking_does_not_depend_on_the_order_rows_come_in(rows: list[Row]) -> None:
    assert ranked(rows, Dimension.SOURCE, 5) == ranked(list(reversed(rows)), Dimension.SOURCE, 5)


def test_shares_are_of_visitors_or_for_entry_and_exit_of_visits() -> None:
    pages = Breakdown(Dimension.PAGE, (Row("/", 30, 80), Row("/a", 20, 25)), total=40)
    entries = Breakdown(Dimension.ENTRY_PAGE, (Row("/", 0, 30),), total=60)

    assert [pages.share(r) for r in pages.rows] == [0.75, 0.5]  # one visitor, many pages
    assert entries.share(entries.rows[0]) == 0.5
    assert Breakdown(Dimension.OS, (Row("Linux", 1, 1),), total=0).share(Row("Linux", 1, 1)) == 0


def test_what_a_rows_count_counts() -> None:
    assert count_of(Dimension.PAGE) == "page views"
    assert count_of(Dimension.EVENT) == "events"
    assert count_of(Dimension.SOURCE) == "visits"


def test_event_properties_rank_by_count_then_name_and_value() -> None:
    rows = [PropertyRow("plan", "pro", 2), PropertyRow("plan", "free", 2), PropertyRow("a", "z", 9)]

    assert ranked_properties(rows, 2) == (PropertyRow("a", "z", 9), PropertyRow("plan", "free", 2))
