"""The changes hits make to counts kept as they arrive add up to counting all the hits."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tracking_core.reports.dimensions import Dimension
from tracking_core.reports.open_sessions import OpenSession, add_hit, start_session
from tracking_core.reports.sessions import PageViewRow, split_sessions
from tracking_core.reports.tallies import (
    Tally,
    hit_changes,
    property_of,
    property_text,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

rows = st.builds(
    PageViewRow,
    visitor_id=st.integers(1, 3),
    timestamp=st.integers(0, 300).map(lambda minutes: T0 + timedelta(minutes=minutes)),
    path=st.sampled_from(["/", "/pricing", "/blog"]),
    event=st.sampled_from(["pageview", "pageview", "Signup"]),
)


Key = tuple[object, object]


def _replayed(hits: list[PageViewRow]) -> tuple[dict[Key, list[int]], Counter[Key]]:
    """Counts (visits, views, bounces, duration) and visitors per (dimension, value), from
    every hit's changes in arrival order, counting each visitor once per value."""
    sums: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    visitors: Counter[Key] = Counter()
    met: set[tuple[int, Key]] = set()
    latest: dict[int, OpenSession[str]] = {}
    for hit in sorted(hits, key=PageViewRow.sort_key):
        before = latest.get(hit.visitor_id)
        if before is not None and not before.continued_by(hit.timestamp):
            before = None
        is_view = hit.is_page_view
        after = (
            add_hit(before, hit.timestamp, hit.path, is_page_view=is_view)
            if before
            else start_session(hit.visitor_id, hit.timestamp, hit.path, is_page_view=is_view)
        )
        latest[hit.visitor_id] = after
        changes = hit_changes(
            before,
            after,
            page=hit.path,
            event=None if is_view else hit.event,
            props={"plan": "pro"} if not is_view else {},
            attributes=[(Dimension.SOURCE, f"source of {hit.visitor_id}")],
        )
        for change in changes:
            key: Key = (change.dimension, change.value)
            for n, count in enumerate(change.counts):
                sums[key][n] += count
            if change.visitor and (hit.visitor_id, key) not in met:
                met.add((hit.visitor_id, key))
                visitors[key] += 1
    return sums, visitors


@given(st.lists(rows, max_size=30))
def test_the_changes_of_every_hit_add_up_to_counting_the_visits(hits: list[PageViewRow]) -> None:
    sums, visitors = _replayed(hits)
    sessions = split_sessions(hits)

    total = sums[Tally.TOTAL, None]
    assert total == [
        len(sessions),
        sum(s.page_views for s in sessions),
        sum(s.is_bounce for s in sessions),
        sum(int(s.duration.total_seconds()) for s in sessions),
    ]
    assert visitors[Tally.TOTAL, None] == len({s.visitor_id for s in sessions})
    for dimension, attribute in (
        (Dimension.ENTRY_PAGE, "entry_page"),
        (Dimension.EXIT_PAGE, "exit_page"),
    ):
        expected = Counter(getattr(s, attribute) for s in sessions)
        kept = {value: c[0] for (d, value), c in sums.items() if d is dimension and c[0]}
        assert kept == dict(expected)
    views = Counter(h.path for h in hits if h.is_page_view)
    assert {v: c[1] for (d, v), c in sums.items() if d is Dimension.PAGE} == dict(views)
    page_visitors = Counter(p for p, _ in {(h.path, h.visitor_id) for h in hits if h.is_page_view})
    assert {v: n for (d, v), n in visitors.items() if d is Dimension.PAGE} == dict(page_visitors)
    events = sum(1 for h in hits if not h.is_page_view)
    assert sums.get((Tally.PROPERTY, property_text("Signup", "plan", "pro")), [0, 0])[1] == events


def test_a_property_reads_back_as_event_name_and_value() -> None:
    assert property_of(property_text("Sign: up", "plan", "a b")) == ("Sign: up", "plan", "a b")
