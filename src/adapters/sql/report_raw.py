"""The dashboard under filters, counted from the stored visits and hits.

Counts kept per value cannot say which of a value's visits also came from Google, so a
filtered report selects the visits (sessions) it keeps into a temporary table, with the day
each started on (``report_days``: where the site's local days start) and every column it
counts by, and counts over them and their hits, as ``adapters.memory.reports`` does in
Python: visitors are distinct
(day, visitor) pairs, a hit without a visitor id being a visitor of its own.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from adapters.sql.report_periods import day_number
from adapters.sql.strings import digest
from tracking_core.reports.dimensions import Dimension, Filter
from tracking_core.reports.local_time import local_midnight
from tracking_core.reports.ranges import DateRange
from tracking_core.reports.report import PropertyRow, Row
from tracking_core.reports.sessions import Headline

#: The column of ``visit_sessions`` each dimension of a whole visit is read from.
SESSION_COLUMNS = {
    Dimension.ENTRY_PAGE: "entry_page_id",
    Dimension.EXIT_PAGE: "exit_page_id",
    Dimension.SOURCE: "source_id",
    Dimension.UTM_SOURCE: "utm_source_id",
    Dimension.UTM_MEDIUM: "utm_medium_id",
    Dimension.UTM_CAMPAIGN: "utm_campaign_id",
    Dimension.COUNTRY: "country_id",
    Dimension.REGION: "region_id",
    Dimension.CITY: "city_id",
    Dimension.BROWSER: "browser_id",
    Dimension.OS: "os_id",
    Dimension.DEVICE: "device_id",
}
_DAY = timedelta(days=1)
#: The columns of ``visit_sessions`` copied along with each chosen visit.
_COPIED = ("page_views", "events", "duration", *SESSION_COLUMNS.values())


def _seconds(instant: datetime) -> int:
    return int(instant.timestamp())


class Selection:
    """The visits of a site, range and filters, in the temporary table ``chosen``."""

    def __init__(
        self, connection: Connection, site_id: int, span: DateRange, filters: tuple[Filter, ...]
    ) -> None:
        self.connection = connection
        self.site_id = site_id
        self.span = span
        self.params: dict[str, Any] = {
            "site": site_id,
            "start": _seconds(span.start),
            "end": _seconds(span.end),
        }
        _fresh_table(connection, "report_days", "start BIGINT PRIMARY KEY, day INTEGER")
        days = [
            {
                "start": _seconds(local_midnight(span.first_day + _DAY * n, span.tz)),
                "day": day_number(span.first_day + _DAY * n),
            }
            for n in range(span.days)
        ]
        connection.execute(text("INSERT INTO report_days VALUES (:start, :day)"), days)
        # The chosen visits with every column a report reads: counting them then never goes
        # back to ``visit_sessions``.
        columns = ", ".join(f"{name} INTEGER" for name in _COPIED)
        _fresh_table(
            connection,
            "chosen",
            f"id BIGINT PRIMARY KEY, day INTEGER, visitor BIGINT, alone BIGINT, settled INTEGER, "
            f"{columns}",
        )
        conditions = self._conditions(filters)
        if conditions is None:
            return  # a filter value never stored: nothing is chosen
        copied = ", ".join(f"s.{name}" for name in _COPIED)
        where = "".join(f" AND {condition}" for condition in conditions)
        # Each visit's day is looked up in ``report_days`` (a few rows, by their start): a
        # join there would let a planner scan every visit of the site once per day.
        statement = (
            "INSERT INTO chosen SELECT s.id, (SELECT d.day FROM report_days d "  # noqa: S608
            "WHERE d.start <= s.started_at ORDER BY d.start DESC LIMIT 1), s.visitor_id, "
            "CASE WHEN s.visitor_id IS NULL THEN s.id END, "
            f"CASE WHEN s.location_pending THEN 0 ELSE 1 END, {copied} "
            "FROM visit_sessions s WHERE s.site_id = :site "
            f"AND s.started_at >= :start AND s.started_at < :end{where}"
        )
        connection.execute(text(statement), self.params)

    def _conditions(self, filters: tuple[Filter, ...]) -> list[str] | None:
        conditions = []
        for n, chosen in enumerate(filters):
            value_id = self._text_id(chosen.value)
            if value_id is None:
                return None
            self.params[f"filter{n}"] = value_id
            dimension = chosen.dimension
            if dimension.of_hits:
                kind = "v.event_id" if dimension is Dimension.EVENT else "v.page_id"
                if dimension is Dimension.PAGE:
                    kind = "v.event_id IS NULL AND v.page_id"
                hits = "SELECT v.session_id FROM visits v WHERE v.site_id = :site"
                conditions.append(
                    f"s.id IN ({hits} AND v.at >= :start AND v.at < :end AND {kind} = :filter{n})"
                )
                continue
            conditions.append(f"s.{SESSION_COLUMNS[dimension]} = :filter{n}")
            if dimension.is_place:
                conditions.append("NOT s.location_pending")
        return conditions

    def _text_id(self, value: str) -> int | None:
        found = self.connection.execute(
            text("SELECT id FROM strings WHERE site_id = :site AND digest = :digest"),
            {"site": self.site_id, "digest": digest(value)},
        ).scalar()
        return None if found is None else int(found)

    def headline(self) -> Headline:
        visitors = self.connection.execute(
            text("SELECT count(*) FROM (SELECT DISTINCT day, visitor, alone FROM chosen) AS v")
        ).scalar_one()
        visits, views, bounces, duration = self.connection.execute(
            text(
                "SELECT count(*), sum(page_views), "
                "sum(CASE WHEN page_views = 1 AND events = 0 THEN 1 ELSE 0 END), "
                "sum(duration) FROM chosen"
            )
        ).one()
        return Headline(
            int(visitors),
            int(visits),
            int(views or 0),
            int(bounces or 0),
            timedelta(seconds=int(duration or 0)),
        )

    def daily_series(self) -> dict[int, tuple[int, int]]:
        rows = self.connection.execute(
            text(
                "SELECT day, count(DISTINCT visitor), count(alone), sum(page_views) "
                "FROM chosen GROUP BY day"
            )
        )
        return {day: (int(known + alone), int(views or 0)) for day, known, alone, views in rows}

    def hits(self) -> Iterator[tuple[int, int | None, int | None, bool]]:
        """(second, visitor, alone, is a page view) of every hit of the chosen visits."""
        rows = self.connection.execute(
            text(
                "SELECT v.at, c.visitor, c.alone, v.event_id IS NULL FROM visits v "
                "JOIN chosen c ON c.id = v.session_id "
                "WHERE v.site_id = :site AND v.at >= :start AND v.at < :end"
            ),
            self.params,
        )
        for at, visitor, alone, is_view in rows:
            yield int(at), visitor, alone, bool(is_view)

    def breakdown(self, dimension: Dimension, limit: int) -> list[Row]:
        if dimension.of_hits:
            kind = "v.event_id IS NULL" if dimension is Dimension.PAGE else "v.event_id IS NOT NULL"
            column = "v.page_id" if dimension is Dimension.PAGE else "v.event_id"
            grouped = (
                f"SELECT {column} AS value_id, c.day, c.visitor, c.alone, count(*) AS n "  # noqa: S608
                "FROM visits v JOIN chosen c ON c.id = v.session_id WHERE v.site_id = :site "
                f"AND v.at >= :start AND v.at < :end AND {kind} "
                f"GROUP BY {column}, c.day, c.visitor, c.alone"
            )
        else:
            column = SESSION_COLUMNS[dimension]
            settled = " AND settled = 1" if dimension.is_place else ""
            grouped = (
                f"SELECT {column} AS value_id, day, visitor, alone, count(*) AS n "  # noqa: S608
                f"FROM chosen WHERE {column} IS NOT NULL{settled} "
                f"GROUP BY {column}, day, visitor, alone"
            )
        name = 's.value COLLATE "C"' if self.connection.dialect.name == "postgresql" else "s.value"
        order = (
            f"t.n DESC, {name}" if dimension.counts_visits else f"t.visitors DESC, t.n DESC, {name}"
        )
        rows = self.connection.execute(
            text(
                "SELECT s.value, t.visitors, t.n FROM (SELECT value_id, count(*) AS visitors, "  # noqa: S608
                f"sum(n) AS n FROM ({grouped}) AS g GROUP BY value_id) AS t "
                f"JOIN strings s ON s.id = t.value_id ORDER BY {order} LIMIT :limit"
            ),
            {**self.params, "limit": limit},
        )
        return [
            Row(value, 0 if dimension.counts_visits else int(visitors), int(n))
            for value, visitors, n in rows
        ]

    def properties(self, event: str) -> list[PropertyRow]:
        event_id = self._text_id(event)
        if event_id is None:
            return []
        rows = self.connection.execute(
            text(
                "SELECT p.value, count(*) FROM visits v JOIN chosen c ON c.id = v.session_id "
                "JOIN strings p ON p.id = v.props_id WHERE v.site_id = :site "
                "AND v.at >= :start AND v.at < :end AND v.event_id = :event GROUP BY p.value"
            ),
            {**self.params, "event": event_id},
        )
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for props, count in rows:
            for name, value in json.loads(props).items():
                counts[name, value] += int(count)
        return [PropertyRow(name, value, count) for (name, value), count in counts.items()]

    def close(self) -> None:
        for table in ("chosen", "report_days"):
            self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


def _fresh_table(connection: Connection, name: str, columns: str) -> None:
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} ({columns})")
