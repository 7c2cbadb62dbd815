"""Filters in the dashboard's URL, and what each dimension counts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracking_core.errors import InvalidInput
from tracking_core.reports.dimensions import Dimension, Filter, filters_query, parse_filters


def test_filters_are_read_by_dimension_name_and_other_parameters_ignored() -> None:
    query = {"range": "7d", "source": "Google", "page": "/pricing", "tab": "x"}

    assert parse_filters(query) == (
        Filter(Dimension.PAGE, "/pricing"),
        Filter(Dimension.SOURCE, "Google"),
    )


@given(st.dictionaries(st.sampled_from(list(Dimension)), st.text(min_size=1, max_size=50)))
def test_filters_written_to_a_url_read_back_the_same(chosen: dict[Dimension, str]) -> None:
    filters = tuple(
        Filter(d, v) for d, v in sorted(chosen.items(), key=lambda i: list(Dimension).index(i[0]))
    )

    assert parse_filters(filters_query(filters)) == filters


@pytest.mark.parametrize("value", ["", "x" * 2049])
def test_an_empty_or_overlong_filter_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_filters({"country": value})

    assert list(raised.value.errors) == ["country"]


def test_what_each_dimension_belongs_to_and_counts() -> None:
    assert {d for d in Dimension if d.of_hits} == {Dimension.PAGE, Dimension.EVENT}
    assert {d for d in Dimension if d.counts_visits} == {Dimension.ENTRY_PAGE, Dimension.EXIT_PAGE}
    assert {d for d in Dimension if d.is_place} == {
        Dimension.COUNTRY,
        Dimension.REGION,
        Dimension.CITY,
    }
