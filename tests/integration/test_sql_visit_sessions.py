"""Hits stored in their visits (sessions), and texts stored once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from adapters.sql import SqlSiteRepository, SqlUserRepository, SqlVisitRepository, tables
from adapters.sql.visit_sessions import SESSION_COLUMNS
from tracking_core.entities import Site, Visit
from tracking_core.reports.sessions import PageViewRow, split_sessions

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
PATHS = ("/", "/pricing", "/blog")


def new_site(engine: Engine) -> Site:
    users, sites = SqlUserRepository(engine), SqlSiteRepository(engine)
    owner = users.add(
        email=f"{uuid.uuid4().hex}@example.com", name="A", password_hash="h", created_at=T0
    )
    return sites.add(owner_id=owner.id, base_url="https://a.example", created_at=T0)


def hit(site: Site, visitor: int, minute: int, path: str = "/", event: str = "pageview") -> Visit:
    return Visit(
        site_id=site.id,
        created_at=T0 + timedelta(minutes=minute),
        url=f"https://a.example{path}?x={minute}",
        event=event,
        browser="Firefox",
        visitor_id=visitor,
    )


def stored_sessions(engine: Engine, site: Site) -> list[tuple[object, ...]]:
    """(visitor, start, end, page views, events, entry, exit) of each stored visit."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.visitor_id, s.started_at, s.started_at + s.duration, s.page_views, "
                "s.events, e.value, x.value FROM visit_sessions s "
                "JOIN strings e ON e.id = s.entry_page_id JOIN strings x ON x.id = s.exit_page_id "
                "WHERE s.site_id = :site"
            ),
            {"site": site.id},
        )
        return sorted(tuple(row) for row in rows)


def expected_sessions(hits: list[Visit]) -> list[tuple[object, ...]]:
    rows = [
        PageViewRow(h.visitor_id or 0, h.created_at, h.url.split("?")[0][17:] or "/", h.event)
        for h in hits
    ]
    return sorted(
        (
            s.visitor_id,
            int(s.start.timestamp()),
            int(s.end.timestamp()),
            s.page_views,
            s.events,
            s.entry_page,
            s.exit_page,
        )
        for s in split_sessions(rows)
    )


def test_the_visits_table_lists_the_columns_the_writer_fills() -> None:
    assert set(SESSION_COLUMNS) == set(tables.visit_sessions.c.keys())


hit_specs = st.lists(
    st.tuples(
        st.integers(1, 3),  # visitor
        st.integers(0, 600),  # minute of the day (whole minutes: gaps of exactly 30 come up)
        st.sampled_from(PATHS),
        st.sampled_from(["pageview", "pageview", "Signup"]),
    ),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # a new site per example
)
@given(specs=hit_specs, cuts=st.lists(st.integers(1, 29), max_size=4))
def test_stored_visits_are_the_visits_split_sessions_finds(
    engine: Engine, specs: list[tuple[int, int, str, str]], cuts: list[int]
) -> None:
    site = new_site(engine)
    hits = [hit(site, visitor, minute, path, event) for visitor, minute, path, event in specs]
    # The beacon's order: by time (page views first at the same instant), in batches.
    hits.sort(key=lambda h: (h.created_at, h.event != "pageview", h.url, h.event))
    visits = SqlVisitRepository(engine)
    bounds = [0, *sorted(c for c in cuts if c < len(hits)), len(hits)]
    for start, end in pairwise(bounds):
        visits.add_many(hits[start:end])

    assert stored_sessions(engine, site) == expected_sessions(hits)
    assert visits.count_for_site(site.id) == len(hits)


def test_two_writers_continue_each_others_visits(engine: Engine) -> None:
    """As two worker processes would: each with its own caches, the same visitor's hits."""
    site = new_site(engine)
    first, second = SqlVisitRepository(engine), SqlVisitRepository(engine)
    hits = [
        hit(site, 7, minute, path) for minute, path in ((0, "/"), (5, "/pricing"), (9, "/blog"))
    ]

    first.add_many(hits[:1])
    second.add_many(hits[1:2])
    first.add_many(hits[2:])

    assert stored_sessions(engine, site) == [
        (
            7,
            int(hits[0].created_at.timestamp()),
            int(hits[2].created_at.timestamp()),
            3,
            0,
            "/",
            "/blog",
        )
    ]


def test_concurrent_writers_store_each_new_text_once(engine: Engine) -> None:
    site = new_site(engine)
    writers = [SqlVisitRepository(engine) for _ in range(4)]
    start = threading.Barrier(len(writers))
    errors: list[BaseException] = []

    def write(n: int, visits: SqlVisitRepository) -> None:
        start.wait()
        try:
            visits.add_many([hit(site, 100 + n, n, path) for path in PATHS])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n, w)) for n, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with engine.connect() as connection:
        pages = connection.execute(
            text(
                "SELECT value, count(*) FROM strings "
                "WHERE site_id = :s AND value LIKE '/%' GROUP BY value"
            ),
            {"s": site.id},
        ).all()
    assert sorted(pages) == [(path, 1) for path in sorted(PATHS)]


def test_texts_are_a_sites_own_and_go_with_it(engine: Engine) -> None:
    one, other = new_site(engine), new_site(engine)
    visits = SqlVisitRepository(engine)
    visits.add_many([hit(one, 1, 0, "/shared"), hit(other, 2, 0, "/shared")])

    with engine.begin() as connection:
        connection.execute(
            text("DELETE FROM users WHERE id = (SELECT owner_id FROM sites WHERE id = :s)"),
            {"s": one.id},
        )

    with engine.connect() as connection:
        left = connection.execute(
            text("SELECT site_id, count(*) FROM strings WHERE value = '/shared' GROUP BY site_id")
        ).all()
        sessions = connection.execute(text("SELECT count(*) FROM visit_sessions")).scalar_one()
    assert left == [(other.id, 1)]
    assert sessions == 1


def test_a_visitor_of_a_day_gone_by_starts_a_new_visit_once_forgotten(engine: Engine) -> None:
    site = new_site(engine)
    visits = SqlVisitRepository(engine)
    visits.add_many([hit(site, 5, 0)])

    visits.forget_visitors_before(date(2026, 3, 20))
    visits.add_many([hit(site, 5, 10)])  # the same id (it cannot happen on another day)

    assert [row[3] for row in stored_sessions(engine, site)] == [1, 1]
