"""Visits cut from hits by 30 minutes of inactivity, and the headline numbers over them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracking_core.reports.sessions import (
    SESSION_TIMEOUT,
    Headline,
    PageViewRow,
    Session,
    headline,
    relative_change,
    split_sessions,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _at(minutes: float, path: str = "/", event: str = "pageview", visitor: int = 1) -> PageViewRow:
    return PageViewRow(visitor, T0 + timedelta(minutes=minutes), path, event)


#: Whole minutes apart, so gaps of exactly 30 minutes come up often.
rows = st.builds(
    PageViewRow,
    visitor_id=st.integers(1, 3),
    timestamp=st.integers(0, 400).map(lambda minutes: T0 + timedelta(minutes=minutes)),
    path=st.sampled_from(["/", "/pricing", "/blog"]),
    event=st.sampled_from(["pageview", "pageview", "Signup"]),
)
row_lists = st.lists(rows, max_size=40)


@given(row_lists)
def test_every_hit_belongs_to_exactly_one_visit(hits: list[PageViewRow]) -> None:
    sessions = split_sessions(hits)

    assert Counter(hit for s in sessions for hit in s.hits) == Counter(hits)
    assert all(hit.visitor_id == s.visitor_id for s in sessions for hit in s.hits)


@given(row_lists)
def test_a_visitors_visits_do_not_overlap_and_are_30_minutes_apart_or_more(
    hits: list[PageViewRow],
) -> None:
    sessions = split_sessions(hits)

    for visitor in {hit.visitor_id for hit in hits}:
        mine = [s for s in sessions if s.visitor_id == visitor]
        for earlier, later in pairwise(mine):
            assert later.start - earlier.end >= SESSION_TIMEOUT
    for session in sessions:
        times = [hit.timestamp for hit in session.hits]
        assert times == sorted(times)
        assert all(b - a < SESSION_TIMEOUT for a, b in pairwise(times))


@given(row_lists, st.data())
def test_visits_do_not_depend_on_the_order_hits_arrive_in(
    hits: list[PageViewRow], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(hits))

    assert split_sessions(shuffled) == split_sessions(hits)


@given(row_lists)
def test_the_headline_numbers_add_up(hits: list[PageViewRow]) -> None:
    sessions = split_sessions(hits)
    numbers = headline(sessions)

    assert numbers.visitors == len({hit.visitor_id for hit in hits})
    assert numbers.visits == len(sessions)
    assert numbers.page_views == sum(hit.event == "pageview" for hit in hits)
    assert numbers.page_views == sum(s.page_views for s in sessions)
    assert numbers.total_duration == sum((s.duration for s in sessions), timedelta(0))
    assert 0 <= numbers.bounces <= numbers.visits
    assert 0.0 <= numbers.bounce_rate <= 1.0
    assert numbers.average_duration >= timedelta(0)
    if sessions:
        assert numbers.views_per_visit == numbers.page_views / numbers.visits


@given(row_lists)
def test_entry_and_exit_pages_are_the_first_and_last_pages_viewed(hits: list[PageViewRow]) -> None:
    for session in split_sessions(hits):
        views = [hit for hit in session.hits if hit.is_page_view] or list(session.hits)
        assert session.entry_page == views[0].path
        assert session.exit_page == views[-1].path
        assert session.is_bounce == (session.page_views == 1 and session.events == 0)


def test_a_pause_of_exactly_30_minutes_ends_the_visit() -> None:
    sessions = split_sessions([_at(0), _at(30)])

    assert len(sessions) == 2


def test_a_pause_just_under_30_minutes_keeps_the_visit_going() -> None:
    sessions = split_sessions([_at(0), _at(30 - 1 / 60)])

    assert len(sessions) == 1
    assert sessions[0].duration == timedelta(minutes=29, seconds=59)


def test_a_custom_event_is_not_a_page_view_but_keeps_the_visit_going() -> None:
    (session,) = split_sessions([_at(0, "/"), _at(25, "/", "Signup"), _at(50, "/thanks")])

    assert session.page_views == 2
    assert session.events == 1
    assert session.duration == timedelta(minutes=50)
    assert (session.entry_page, session.exit_page) == ("/", "/thanks")


def test_a_single_page_view_is_a_bounce_of_no_duration() -> None:
    (session,) = split_sessions([_at(0, "/landing")])

    assert session.is_bounce
    assert session.duration == timedelta(0)
    assert session.entry_page == session.exit_page == "/landing"


def test_a_custom_event_after_the_only_page_view_makes_it_not_a_bounce() -> None:
    (session,) = split_sessions([_at(0), _at(1, "/", "Download")])

    assert not session.is_bounce


def test_a_visit_of_custom_events_only_uses_their_pages_and_is_no_bounce() -> None:
    (session,) = split_sessions([_at(0, "/a", "Play"), _at(2, "/b", "Pause")])

    assert (session.entry_page, session.exit_page) == ("/a", "/b")
    assert session.page_views == 0
    assert not session.is_bounce


def test_hits_at_the_same_instant_list_page_views_first_then_by_path() -> None:
    (session,) = split_sessions([_at(0, "/z", "Click"), _at(0, "/b"), _at(0, "/a")])

    assert [hit.path for hit in session.hits] == ["/a", "/b", "/z"]
    assert session.entry_page == "/a"


def test_visitors_are_split_separately_and_visits_are_listed_by_start() -> None:
    sessions = split_sessions([_at(10, visitor=2), _at(0, visitor=1), _at(5, visitor=1)])

    assert [(s.visitor_id, len(s.hits)) for s in sessions] == [(1, 2), (2, 1)]


def test_headline_numbers_of_a_small_day() -> None:
    sessions = split_sessions(
        [
            _at(0, "/", visitor=1),  # a bounce
            _at(0, "/", visitor=2),
            _at(3, "/pricing", visitor=2),  # two page views, 3 minutes
            _at(120, "/", visitor=2),  # visitor 2 comes back: a third visit, a bounce
        ]
    )

    numbers = headline(sessions)

    assert numbers == Headline(
        visitors=2, visits=3, page_views=4, bounces=2, total_duration=timedelta(minutes=3)
    )
    assert numbers.views_per_visit == pytest.approx(4 / 3)
    assert numbers.bounce_rate == pytest.approx(2 / 3)
    assert numbers.average_duration == timedelta(minutes=1)


def test_no_visits_give_zeros_not_errors() -> None:
    numbers = headline([])

    assert (numbers.views_per_visit, numbers.bounce_rate) == (0.0, 0.0)
    assert numbers.average_duration == timedelta(0)


def test_a_session_needs_no_other_input_than_its_hits() -> None:
    session = Session(7, (_at(0, visitor=7), _at(10, "/b", visitor=7)))

    assert (session.start, session.end) == (T0, T0 + timedelta(minutes=10))


@pytest.mark.parametrize(
    ("current", "previous", "change"),
    [(150, 100, 0.5), (50, 100, -0.5), (100, 100, 0.0), (5, 0, None), (0, 0, None)],
)
def test_relative_change_is_a_fraction_of_the_previous_period(
    current: float, previous: float, change: float | None
) -> None:
    assert relative_change(current, previous) == change
