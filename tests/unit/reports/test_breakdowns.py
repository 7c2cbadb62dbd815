"""Top-N lists with counts and shares."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracking_core.reports.breakdowns import OTHER, Entry, top


def test_the_largest_counts_come_first_with_their_share_of_the_total() -> None:
    entries = top({"/": 50, "/pricing": 30, "/blog": 20}, 2)

    assert entries == [Entry("/", 50, 0.5), Entry("/pricing", 30, 0.3)]


def test_ties_are_broken_by_name() -> None:
    entries = top({"b": 1, "c": 1, "a": 1, "z": 2}, 3)

    assert [entry.name for entry in entries] == ["z", "a", "b"]


def test_the_rest_can_be_summed_as_other() -> None:
    entries = top({"a": 5, "b": 3, "c": 1, "d": 1}, 2, other=OTHER)

    assert entries[-1] == Entry("Other", 2, 0.2)


def test_no_other_entry_when_nothing_is_left_over() -> None:
    assert top({"a": 1}, 5, other=OTHER) == [Entry("a", 1, 1.0)]


def test_shares_can_be_of_another_total_such_as_unique_visitors() -> None:
    entries = top({"/": 8, "/pricing": 6}, 10, total=10)

    assert [entry.share for entry in entries] == [0.8, 0.6]


def test_nothing_to_count_gives_an_empty_list_and_zero_shares() -> None:
    assert top({}, 10) == []
    assert top({"a": 0}, 10) == [Entry("a", 0, 0.0)]


def test_a_negative_length_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="negative"):
        top({"a": 1}, -1)


@given(
    st.dictionaries(st.text(max_size=5), st.integers(0, 1000), max_size=30),
    st.integers(0, 35),
    st.booleans(),
)
def test_top_n_is_sorted_complete_and_its_shares_are_count_over_total(
    counts: dict[str, int], n: int, with_other: bool
) -> None:
    entries = top(counts, n, other=OTHER if with_other else None)
    ranked = entries[: min(n, len(counts))]
    total = sum(counts.values())

    assert [(e.name, e.count) for e in ranked] == sorted(
        counts.items(), key=lambda item: (-item[1], item[0])
    )[:n]
    assert all(e.share == (e.count / total if total else 0.0) for e in entries)
    if with_other:
        assert sum(e.count for e in entries) == total
        assert len(entries) == min(n, len(counts)) + (len(counts) > n)
    else:
        assert len(entries) == min(n, len(counts))
