"""Visits assigned as hits arrive agree with visits cut from all the hits afterwards."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tracking_core.reports.open_sessions import OpenSession, add_hit, start_session
from tracking_core.reports.sessions import PageViewRow, split_sessions

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

rows = st.builds(
    PageViewRow,
    visitor_id=st.integers(1, 3),
    timestamp=st.integers(0, 400).map(lambda minutes: T0 + timedelta(minutes=minutes)),
    path=st.sampled_from(["/", "/pricing", "/blog"]),
    event=st.sampled_from(["pageview", "pageview", "Signup"]),
)


def _as_they_arrive(hits: list[PageViewRow]) -> list[OpenSession[str]]:
    """Each hit continues its visitor's latest visit or starts one, in arrival order."""
    finished: list[OpenSession[str]] = []
    latest: dict[int, OpenSession[str]] = {}
    for hit in hits:
        current = latest.get(hit.visitor_id)
        if current is not None and current.continued_by(hit.timestamp):
            latest[hit.visitor_id] = add_hit(
                current, hit.timestamp, hit.path, is_page_view=hit.is_page_view
            )
            continue
        if current is not None:
            finished.append(current)
        latest[hit.visitor_id] = start_session(
            hit.visitor_id, hit.timestamp, hit.path, is_page_view=hit.is_page_view
        )
    return finished + list(latest.values())


def _summary(session: OpenSession[str]) -> tuple[object, ...]:
    return (
        session.visitor_id,
        session.started_at,
        session.ended_at,
        session.page_views,
        session.events,
        session.entry_page,
        session.exit_page,
        session.is_bounce,
    )


@given(st.lists(rows, max_size=40))
def test_arriving_in_order_gives_the_visits_split_sessions_finds(hits: list[PageViewRow]) -> None:
    in_order = sorted(hits, key=PageViewRow.sort_key)
    cut = split_sessions(hits)

    live = _as_they_arrive(in_order)

    assert sorted(map(_summary, live)) == sorted(
        (
            s.visitor_id,
            s.start,
            s.end,
            s.page_views,
            s.events,
            s.entry_page,
            s.exit_page,
            s.is_bounce,
        )
        for s in cut
    )


@given(st.lists(rows, max_size=40), st.randoms(use_true_random=False))
def test_within_a_few_seconds_of_disorder_counts_and_durations_stay_exact(
    hits: list[PageViewRow], shuffler: random.Random
) -> None:
    """Two workers may commit a visitor's hits in the other order: hits in the same minute
    arrive shuffled here, and only entry and exit may then differ."""
    in_order = sorted(hits, key=PageViewRow.sort_key)
    jittered = sorted(
        in_order,
        key=lambda hit: ((hit.timestamp - T0).total_seconds() // 60, shuffler.random()),
    )
    cut = split_sessions(hits)

    live = _as_they_arrive(jittered)

    assert sorted(
        (s.visitor_id, s.started_at, s.ended_at, s.page_views, s.events) for s in live
    ) == (sorted((s.visitor_id, s.start, s.end, s.page_views, s.events) for s in cut))


def test_a_visit_made_only_of_events_takes_its_pages_from_them_until_a_page_view() -> None:
    session = start_session(1, T0, "/a", is_page_view=False)
    session = add_hit(session, T0 + timedelta(minutes=1), "/b", is_page_view=False)
    assert (session.entry_page, session.exit_page, session.is_bounce) == ("/a", "/b", False)

    session = add_hit(session, T0 + timedelta(minutes=2), "/c", is_page_view=True)
    session = add_hit(session, T0 + timedelta(minutes=3), "/d", is_page_view=False)

    assert (session.entry_page, session.exit_page) == ("/c", "/c")
    assert (session.page_views, session.events) == (1, 3)


def test_a_visit_ends_after_30_minutes_without_a_hit() -> None:
    session = start_session(1, T0, "/", is_page_view=True)

    assert session.continued_by(T0 + timedelta(minutes=29, seconds=59))
    assert not session.continued_by(T0 + timedelta(minutes=30))
    assert session.is_bounce
