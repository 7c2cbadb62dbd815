"""Storing a batch of visits (hits) in one transaction, each in its visit (session), with
the counts per day and month they change (``tallies``).

For every hit the writer finds its visitor's latest visit (``visitor_days``, read once per
batch), continues it or starts a new one by the rules of ``reports.open_sessions``, notes
what that changes in the counts (``reports.tallies``), and stores the hit with the ids of
its texts (``strings``); then it saves the visits it started or changed, and the counts.
Everything is written with bulk inserts (``bulk_insert``), one ``UPDATE`` statement for the
changed visits and one upsert statement per table of counts.

Two worker processes may write hits of the same visitor at once, so a batch's read of the
open visits and its writes must not interleave with another's: see ``lock_sites``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from adapters.sql import driver, tables
from adapters.sql.bulk_insert import BulkInsert
from adapters.sql.errors import first_line, port_errors
from adapters.sql.strings import Key, StringIds
from adapters.sql.tallies import TallyBatch, close_months, month_number
from adapters.sql.visit_sessions import (
    BatchSession,
    Page,
    SessionStore,
    number,
    open_sessions,
    remember_latest,
    seconds,
    texts_of,
)
from adapters.sql.writer_turns import turns_for
from tracking_core.entities import Visit
from tracking_core.errors import StorageUnavailable, VisitsRefused
from tracking_core.reports.local_time import zone
from tracking_core.reports.open_sessions import OpenSession, add_hit, start_session
from tracking_core.reports.pages import page_path
from tracking_core.reports.tallies import hit_changes, visit_attributes
from tracking_core.use_cases.visits import PAGE_VIEW

#: Keys of PostgreSQL advisory locks are pairs: this one, and the site's id.
_LOCK_NAMESPACE = 0x7472
_EPOCH_DAY = date(1970, 1, 1)
#: Seconds a SQLite batch waits for its turn: as long as the busy timeout (``engine``).
TURN_TIMEOUT = 5.0
HIT_COLUMNS = ("site_id", "at", "seq", "session_id", "url_id", "page_id", "event_id", "props_id")


def day_number(day: date) -> int:
    """A day as stored: days since 1970-01-01."""
    return (day - _EPOCH_DAY).days


#: Seconds looked up per statement (well under every driver's limit on parameters).
_SECONDS_PER_STATEMENT = 500


class VisitWriter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.strings = StringIds()
        self._hits = BulkInsert(engine.dialect, tables.visits, HIT_COLUMNS)
        self._sessions = SessionStore(engine.dialect)
        self._turns = turns_for(engine.url, timeout=TURN_TIMEOUT)

    def write(self, visits: Sequence[Visit]) -> None:
        """All of ``visits`` or none; raises ``VisitsRefused`` or ``StorageUnavailable``
        (with ``maybe_stored`` when the connection was lost during the commit itself)."""
        turn = self._turns.turn() if self._turns is not None else contextlib.nullcontext()
        with turn, self.strings.transaction(), port_errors(), self.engine.connect() as connection:
            self.write_in(connection, visits)
            try:
                connection.commit()
            except DBAPIError as error:
                # The server may have committed before the connection went: writing the
                # batch again could store it twice.
                if error.connection_invalidated:
                    message = f"lost the database during the commit: {first_line(error)}"
                    raise StorageUnavailable(message, maybe_stored=True) from error
                raise

    def write_in(self, connection: Connection, batch: Sequence[Visit]) -> None:
        """Store ``batch`` in ``connection``'s transaction, which the caller commits inside
        ``self.strings.transaction()``."""
        site_ids = sorted({visit.site_id for visit in batch})
        lock_sites(connection, site_ids)
        zones, closed = _sites(connection, site_ids)
        open_ = open_sessions(
            connection, {(v.site_id, v.visitor_id) for v in batch if v.visitor_id is not None}
        )
        started: list[BatchSession] = []
        continued: dict[int, BatchSession] = {}
        placed: list[tuple[Visit, BatchSession, str]] = []
        tallies = TallyBatch()
        for visit in batch:
            day = day_number(visit.created_at.astimezone(zones[visit.site_id]).date())
            page = page_path(visit.url)
            is_view = visit.event == PAGE_VIEW
            key = (visit.site_id, visit.visitor_id or 0)
            current = open_.get(key) if visit.visitor_id is not None else None
            before: OpenSession[Page] | None = None
            if (
                current is not None
                and current.day == day
                and current.state.continued_by(visit.created_at)
            ):
                before = current.state
                current.state = add_hit(before, visit.created_at, page, is_page_view=is_view)
                if current.first is None:
                    continued[current.id] = current
            else:
                state: OpenSession[Page] = start_session(
                    visit.visitor_id or 0, visit.created_at, page, is_page_view=is_view
                )
                current = BatchSession(visit.site_id, day, state, first=visit)
                started.append(current)
                if visit.visitor_id is not None:
                    open_[key] = current
            placed.append((visit, current, page))
            changes = hit_changes(
                before,
                current.state,
                page=page,
                event=None if is_view else visit.event,
                props=visit.props,
                attributes=() if before is not None else visit_attributes(visit),
            )
            for change in changes:
                tallies.add(visit.site_id, day, visit.visitor_id, change)

        touched = [*started, *continued.values()]
        ids = self.strings.ids(connection, _texts(placed, touched) | set(tallies.texts()))
        number(connection, started)
        self._sessions.insert(connection, started, ids)
        self._sessions.update(connection, continued.values(), ids)
        remember_latest(connection, started)
        rows = list(_hit_rows(connection, placed, ids))
        self._hits.run(connection, self._hits.rows(rows))
        # A batch in a new month closes the months before it: their monthly counts are made.
        latest: dict[int, int] = {}
        for _, session, _ in placed:
            latest[session.site_id] = max(latest.get(session.site_id, 0), session.day)
        for site, day in latest.items():
            closed[site] = close_months(connection, site, closed[site], month_number(day) - 1)
        tallies.write(connection, ids, closed)


def lock_sites(connection: Connection, site_ids: Iterable[int]) -> None:
    """Start a transaction that writes the visits of ``site_ids``, once no other does.

    SQLite takes its one write lock at once (a deferred transaction that read first could
    fail at its first write when another process wrote meanwhile); PostgreSQL takes one
    advisory lock per site, in site order, so two batches cannot deadlock.
    """
    if connection.dialect.name == "sqlite":
        if not connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    for site_id in sorted(site_ids):
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :site)"),
            {"namespace": _LOCK_NAMESPACE, "site": site_id},
        )


def _sites(
    connection: Connection, site_ids: Sequence[int]
) -> tuple[dict[int, Any], dict[int, int | None]]:
    """Each site's time zone, and the last month its monthly counts exist for."""
    marks = ", ".join([driver.mark(connection)] * len(site_ids))
    rows = driver.execute(
        connection,
        f"SELECT id, timezone, counts_closed_through FROM sites WHERE id IN ({marks})",  # noqa: S608
        list(site_ids),
    )
    zones = {site: zone(timezone) for site, timezone, _ in rows}
    missing = set(site_ids) - zones.keys()
    if missing:
        raise VisitsRefused(f"no such site: {min(missing)}", site_gone=True)
    return zones, {site: closed for site, _, closed in rows}


def _texts(
    placed: Iterable[tuple[Visit, BatchSession, str]], touched: Iterable[BatchSession]
) -> set[Key]:
    """Every (site, text) the batch's rows refer to."""
    wanted: set[Key] = set()
    for visit, _, page in placed:
        site = visit.site_id
        wanted.add((site, visit.url))
        wanted.add((site, page))
        if visit.event != PAGE_VIEW:
            wanted.add((site, visit.event))
        if visit.props:
            wanted.add((site, _props_text(visit)))
    for session in touched:
        wanted.update((session.site_id, value) for value in texts_of(session))
    return wanted


def _props_text(visit: Visit) -> str:
    return json.dumps(visit.props, ensure_ascii=False, sort_keys=True)


def _hit_rows(
    connection: Connection, placed: list[tuple[Visit, BatchSession, str]], ids: Mapping[Key, int]
) -> Iterator[tuple[object, ...]]:
    """The hits' rows, each numbered after the hits of its site and second already stored."""
    taken = _taken(
        connection, [(visit.site_id, seconds(visit.created_at)) for visit, _, _ in placed]
    )
    for visit, session, page in placed:
        site, at = visit.site_id, seconds(visit.created_at)
        seq = taken.get((site, at), -1) + 1
        taken[site, at] = seq
        yield (
            site,
            at,
            seq,
            session.id,
            ids[site, visit.url],
            ids[site, page],
            None if visit.event == PAGE_VIEW else ids[site, visit.event],
            ids[site, _props_text(visit)] if visit.props else None,
        )


def _taken(connection: Connection, keys: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """The largest arrival number stored for each (site, second) of ``keys``.

    One index seek per second (the last entry of a primary-key prefix), not a scan of the
    batch's span: at thousands of hits a second, each batch's seconds already hold thousands
    of rows, and reading them all cost more than the rest of the batch (1.4 ms a batch vs
    1.4 µs a second, at 10,000 hits a second).
    """
    by_site: dict[int, set[int]] = {}
    for site, at in keys:
        by_site.setdefault(site, set()).add(at)
    mark = driver.mark(connection)
    found: dict[tuple[int, int], int] = {}
    for site, ats in by_site.items():
        ordered = sorted(ats)
        for start in range(0, len(ordered), _SECONDS_PER_STATEMENT):
            chunk = ordered[start : start + _SECONDS_PER_STATEMENT]
            statement = last_arrivals(mark, len(chunk))
            rows = driver.execute(connection, statement, (site, *chunk))
            found.update({(site, at): seq for at, seq in rows if seq is not None})
    return found


def last_arrivals(mark: str, seconds: int) -> str:
    """The statement giving (second, largest arrival number or NULL) for ``seconds`` seconds
    of one site; its parameters are the site, then the seconds.

    ``ORDER BY seq DESC LIMIT 1``, not ``max(seq)``: given a single second, PostgreSQL
    flattens the subquery and its ``max`` reads every hit of that second (thousands a
    batch under load) instead of the last index entry.
    """
    values = ", ".join([f"(CAST({mark} AS BIGINT))"] * seconds)
    return (
        "SELECT k.column1, (SELECT v.seq FROM visits AS v "  # noqa: S608 - marks only
        f"WHERE v.site_id = {mark} AND v.at = k.column1 ORDER BY v.seq DESC LIMIT 1) "
        f"FROM (VALUES {values}) AS k"
    )
