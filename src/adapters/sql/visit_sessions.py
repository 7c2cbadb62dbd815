"""The visits (sessions) a batch of hits continues or starts: read, numbered, and saved.

Each visitor's latest visit is found through ``visitor_days``; a visit started by the batch
gets its id before it is stored (SQLite: after the largest id, under the write lock;
PostgreSQL: from the table's sequence), so that its hits can refer to it and everything is
written with bulk inserts.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime

import attrs
from sqlalchemy import Connection, Dialect, delete, text

from adapters.sql import driver, tables
from adapters.sql.bulk_insert import BulkInsert
from adapters.sql.strings import Key
from tracking_core.client_ip import network_of, parse_ip
from tracking_core.entities import Visit
from tracking_core.reports.open_sessions import OpenSession
from tracking_core.reports.places import location_text, place_of

_CHUNK = 500
#: A visit's page: its text for a page of this batch, its text's id for one stored before.
Page = int | str
#: In the order ``_new_row`` gives them (the table's order: checked at import).
SESSION_COLUMNS = (
    "id",
    "site_id",
    "visitor_id",
    "started_at",
    "duration",
    "page_views",
    "events",
    "entry_page_id",
    "exit_page_id",
    "source_id",
    "referrer_domain_id",
    "utm_source_id",
    "utm_medium_id",
    "utm_campaign_id",
    "browser_id",
    "browser_version_id",
    "os_id",
    "device_id",
    "screen_width",
    "ip_address",
    "network_id",
    "location_id",
    "country_id",
    "region_id",
    "city_id",
    "location_pending",
    "location_attempts",
)
_NEXT_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('visit_sessions', 'id')) FROM generate_series(1, :n)"
)
_STATE_TYPES = ("bigint", "int", "int", "int", "int", "int")
_STATE_NAMES = ("started_at", "duration", "page_views", "events", "entry_page_id", "exit_page_id")


def seconds(instant: datetime) -> int:
    return int(instant.timestamp())


def instant(stored: int) -> datetime:
    return datetime.fromtimestamp(stored, UTC)


@attrs.define
class BatchSession:
    """A visit (session) the batch continues or starts."""

    site_id: int
    day: int
    state: OpenSession[Page]
    #: The stored id; for a visit the batch starts, given by ``number``.
    id: int = 0
    #: The hit that started it, whose source, agent and place the visit keeps; None for a
    #: visit stored by an earlier batch.
    first: Visit | None = None


def open_sessions(
    connection: Connection, keys: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], BatchSession]:
    """The latest visit of each (site, visitor id), as stored; its pages are text ids."""
    by_site: dict[int, list[int]] = {}
    for site, visitor in keys:
        by_site.setdefault(site, []).append(visitor)
    postgres = connection.dialect.name == "postgresql"
    found: dict[tuple[int, int], BatchSession] = {}
    for site, visitors in by_site.items():
        for start in range(0, len(visitors), _CHUNK):
            chunk = visitors[start : start + _CHUNK]
            if postgres:
                wanted, parameters = "= ANY(%s)", [site, chunk]
            else:
                wanted, parameters = f"IN ({', '.join(['?'] * len(chunk))})", [site, *chunk]
            statement = (
                "SELECT d.visitor_id, d.day, s.id, s.started_at, s.duration, s.page_views, "  # noqa: S608
                "s.events, s.entry_page_id, s.exit_page_id FROM visitor_days d "
                "JOIN visit_sessions s ON s.id = d.session_id "
                f"WHERE d.site_id = {driver.mark(connection)} AND d.visitor_id {wanted}"
            )
            for row in driver.execute(connection, statement, parameters):
                visitor, day, session_id, started, duration, views, events, entry, exit_ = row
                state: OpenSession[Page] = OpenSession(
                    visitor_id=visitor,
                    started_at=instant(started),
                    ended_at=instant(started + duration),
                    page_views=views,
                    events=events,
                    entry_page=entry,
                    exit_page=exit_,
                )
                found[site, visitor] = BatchSession(site, day, state, session_id)
    return found


def texts_of(session: BatchSession) -> Iterator[str]:
    """The texts a visit's row refers to."""
    for page in (session.state.entry_page, session.state.exit_page):
        if isinstance(page, str):
            yield page
    first = session.first
    if first is None:
        return
    source, place = first.source, place_of(first.location)
    for value in (
        source.name,
        source.referrer_domain,
        source.utm_source,
        source.utm_medium,
        source.utm_campaign,
        first.browser,
        first.browser_version,
        first.os,
        first.device_type.value,
        place.country,
        place.region,
        place.city,
        _network_kept(first),
    ):
        if value is not None:
            yield value
    if first.location is not None:
        yield location_text(first.location)


def number(connection: Connection, started: list[BatchSession]) -> None:
    """Give the visits the batch starts their ids (inside the write lock)."""
    if not started:
        return
    ids: Iterable[int]
    if connection.dialect.name == "postgresql":
        ids = connection.execute(_NEXT_IDS, {"n": len(started)}).scalars()
    else:
        ((largest,),) = driver.execute(connection, "SELECT max(id) FROM visit_sessions")
        ids = range((largest or 0) + 1, (largest or 0) + 1 + len(started))
    for session, new_id in zip(started, ids, strict=True):
        session.id = new_id


class SessionStore:
    """Writes the visits a batch starts (bulk) and changes (one statement, many rows)."""

    def __init__(self, dialect: Dialect) -> None:
        self._insert = BulkInsert(dialect, tables.visit_sessions, SESSION_COLUMNS)
        self._postgres = dialect.name == "postgresql"
        # Plain SQL with positional rows: SQLAlchemy's per-row parameter handling would cost
        # more than the update itself, and this runs for most batches. On PostgreSQL, all
        # rows in one statement (``driver.unnest``).
        if self._postgres:
            values = ", ".join(f"{name} = u.{name}" for name in _STATE_NAMES)
            source, _ = driver.unnest([], (*_STATE_TYPES, "bigint"))
            self._update_sql = (
                f"UPDATE visit_sessions AS s SET {values} FROM {source} "  # noqa: S608
                f"AS u({', '.join(_STATE_NAMES)}, id) WHERE s.id = u.id"
            )
        else:
            assignments = ", ".join(f"{name} = ?" for name in _STATE_NAMES)
            self._update_sql = f"UPDATE visit_sessions SET {assignments} WHERE id = ?"  # noqa: S608

    def insert(
        self, connection: Connection, started: list[BatchSession], ids: Mapping[Key, int]
    ) -> None:
        if started:
            rows = [_new_row(session, ids) for session in started]
            self._insert.run(connection, self._insert.rows(rows))

    def update(
        self, connection: Connection, continued: Iterable[BatchSession], ids: Mapping[Key, int]
    ) -> None:
        rows = [(*_state(session, ids), session.id) for session in continued]
        if not rows:
            return
        if self._postgres:
            _, arrays = driver.unnest(rows, (*_STATE_TYPES, "bigint"))
            driver.execute(connection, self._update_sql, arrays)
        else:
            driver.execute_many(connection, self._update_sql, rows)


_REMEMBER_LATEST = (
    "INSERT INTO visitor_days (site_id, visitor_id, day, session_id) {rows} "
    "ON CONFLICT (site_id, visitor_id) DO UPDATE "
    "SET day = excluded.day, session_id = excluded.session_id"
)


def remember_latest(connection: Connection, started: list[BatchSession]) -> None:
    """Each visitor's latest visit is the last one the batch started for them."""
    latest = {
        (session.site_id, session.first.visitor_id): session
        for session in started
        if session.first is not None and session.first.visitor_id is not None
    }
    rows = [(site, visitor, session.day, session.id) for (site, visitor), session in latest.items()]
    if not rows:
        return
    # Fixed SQL on the driver's cursor: building the upsert through SQLAlchemy cost more
    # than running it, once per batch.
    if connection.dialect.name == "postgresql":
        source, arrays = driver.unnest(rows, ("integer", "bigint", "integer", "bigint"))
        statement = _REMEMBER_LATEST.format(rows=f"SELECT * FROM {source}")  # noqa: S608
        driver.execute(connection, statement, arrays)
    else:
        driver.execute_many(connection, _REMEMBER_LATEST.format(rows="VALUES (?, ?, ?, ?)"), rows)


def forget_visitors_before(connection: Connection, day: int) -> None:
    """Forget the latest visits of days before ``day``, and who was counted for what on them:
    their visitor ids cannot come back."""
    for table in (tables.visitor_days, tables.visitor_values):
        connection.execute(delete(table).where(table.c.day < day))


def _state(session: BatchSession, ids: Mapping[Key, int]) -> tuple[int, ...]:
    """The columns of ``_STATE_NAMES``."""
    state, site = session.state, session.site_id
    started = seconds(state.started_at)
    return (
        started,
        seconds(state.ended_at) - started,
        state.page_views,
        state.events,
        ids[site, state.entry_page] if isinstance(state.entry_page, str) else state.entry_page,
        ids[site, state.exit_page] if isinstance(state.exit_page, str) else state.exit_page,
    )


def _new_row(session: BatchSession, ids: Mapping[Key, int]) -> tuple[object, ...]:
    """The columns of ``SESSION_COLUMNS``."""
    first = session.first
    assert first is not None  # a started visit always has its first hit
    site = session.site_id

    def id_of(value: str | None) -> int | None:
        return None if value is None else ids[site, value]

    source, place, network = first.source, place_of(first.location), _network_kept(first)
    return (
        session.id,
        site,
        first.visitor_id,
        *_state(session, ids),
        id_of(source.name),
        id_of(source.referrer_domain),
        id_of(source.utm_source),
        id_of(source.utm_medium),
        id_of(source.utm_campaign),
        id_of(first.browser),
        id_of(first.browser_version),
        id_of(first.os),
        id_of(first.device_type.value),
        first.screen_width,
        first.ip_address if network is None else None,
        id_of(network),
        id_of(location_text(first.location)) if first.location else None,
        id_of(place.country),
        id_of(place.region),
        id_of(place.city),
        first.location_pending,
        0,
    )


def _network_kept(first: Visit) -> str | None:
    """The address as a network, when that is all that is kept of it.

    An address already cut to its network is no one's, so it is stored once like any text;
    one kept whole (the site's choice, or for a pending lookup) stays in the visit's row, so
    that cutting it later leaves no copy behind.
    """
    if first.ip_address is None or first.location_pending or not is_network(first.ip_address):
        return None
    return first.ip_address


@functools.lru_cache(maxsize=4096)
def is_network(text: str) -> bool:
    """Whether ``text`` is an address already cut to its network (``network_of``)."""
    address = parse_ip(text)
    return address is not None and network_of(address) == text
