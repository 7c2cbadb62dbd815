"""Counting a site's counts per day and month again, from its stored visits and hits.

The writer keeps the counts as visits arrive (``tallies``); this recounts them with
``GROUP BY`` queries over the stored rows, for when they must start over: a site whose time
zone changed (its days begin elsewhere), a database migrated from before counts existed.
Tests compare the two, which is how "rollups agree exactly with the raw data" is held.

It also rebuilds what the writer keeps for the days that may still be running (who was
counted for what, and each visitor's latest visit), so that counting can go on.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from adapters.sql.report_periods import day_number
from adapters.sql.report_raw import SESSION_COLUMNS
from adapters.sql.strings import StringIds
from adapters.sql.tallies import DIMENSION_CODES, month_number
from adapters.sql.visit_sessions import instant
from adapters.sql.visit_writer import lock_sites
from tracking_core.reports.dimensions import Dimension
from tracking_core.reports.local_time import local_midnight, zone
from tracking_core.reports.tallies import Tally, property_text

#: Days still running everywhere are at most this far back from the latest visit's.
_RUNNING_DAYS = 2
_Sums = dict[tuple[int, int, int], list[int]]  # (code, day, value id) -> the five counts


def rebuild_counts(connection: Connection, strings: StringIds, site_id: int) -> None:
    """Replace the site's counts (and the writer's running state) with a recount, in
    ``connection``'s transaction, inside ``strings.transaction()``."""
    lock_sites(connection, [site_id])
    for table in ("daily_counts", "monthly_counts", "visitor_values", "visitor_days"):
        connection.execute(text(f"DELETE FROM {table} WHERE site_id = :site"), {"site": site_id})  # noqa: S608
    connection.execute(
        text("UPDATE sites SET counts_closed_through = NULL WHERE id = :site"), {"site": site_id}
    )
    tz = zone(
        connection.execute(
            text("SELECT timezone FROM sites WHERE id = :site"), {"site": site_id}
        ).scalar_one()
    )
    bounds = connection.execute(
        text("SELECT min(started_at), max(started_at) FROM visit_sessions WHERE site_id = :site"),
        {"site": site_id},
    ).one()
    if bounds[0] is None:
        return
    _visit_days(connection, site_id, tz, instant(bounds[0]), instant(bounds[1]))
    sums: _Sums = defaultdict(lambda: [0, 0, 0, 0, 0])
    _count_totals(connection, sums)
    for dimension in SESSION_COLUMNS:
        _count_visit_values(connection, sums, dimension)
    for dimension in (Dimension.PAGE, Dimension.EVENT):
        _count_hit_values(connection, site_id, sums, dimension)
    _count_properties(connection, strings, site_id, sums)
    _insert(connection, "daily_counts", "day", site_id, sums)
    # Months before the latest one with visits are over (as the writer would have closed
    # them): they get monthly counts.
    closed = month_number(max(day for _, day, _ in sums)) - 1
    monthly: _Sums = defaultdict(lambda: [0, 0, 0, 0, 0])
    for (code, day, value), counts in sums.items():
        month = month_number(day)
        if month <= closed:
            into = monthly[code, month, value]
            for n, count in enumerate(counts):
                into[n] += count
    _insert(connection, "monthly_counts", "month", site_id, monthly)
    connection.execute(
        text("UPDATE sites SET counts_closed_through = :closed WHERE id = :site"),
        {"closed": closed, "site": site_id},
    )
    _running_state(connection, site_id)
    for table in ("visit_days", "rebuild_days"):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


def _visit_days(
    connection: Connection, site_id: int, tz: ZoneInfo, first: datetime, last: datetime
) -> None:
    """``visit_days``: each of the site's visits with the local day it started on."""
    connection.exec_driver_sql("DROP TABLE IF EXISTS rebuild_days")
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE rebuild_days (start BIGINT PRIMARY KEY, day INTEGER)"
    )
    day, end = first.astimezone(tz).date(), last.astimezone(tz).date()
    rows = []
    while day <= end:
        rows.append({"start": int(local_midnight(day, tz).timestamp()), "day": day_number(day)})
        day += timedelta(days=1)
    connection.execute(text("INSERT INTO rebuild_days VALUES (:start, :day)"), rows)
    connection.exec_driver_sql("DROP TABLE IF EXISTS visit_days")
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE visit_days "
        "(id BIGINT PRIMARY KEY, day INTEGER, visitor BIGINT, alone BIGINT)"
    )
    connection.execute(
        text(
            "INSERT INTO visit_days SELECT s.id, (SELECT d.day FROM rebuild_days d "
            "WHERE d.start <= s.started_at ORDER BY d.start DESC LIMIT 1), s.visitor_id, "
            "CASE WHEN s.visitor_id IS NULL THEN s.id END "
            "FROM visit_sessions s WHERE s.site_id = :site"
        ),
        {"site": site_id},
    )


def _count_totals(connection: Connection, sums: _Sums) -> None:
    code = DIMENSION_CODES[Tally.TOTAL]
    visitors = connection.execute(
        text(
            "SELECT day, count(*) FROM (SELECT DISTINCT day, visitor, alone FROM visit_days) "
            "AS v GROUP BY day"
        )
    )
    for day, count in visitors:
        sums[code, day, 0][0] = int(count)
    rows = connection.execute(
        text(
            "SELECT vd.day, count(*), sum(s.page_views), "
            "sum(CASE WHEN s.page_views = 1 AND s.events = 0 THEN 1 ELSE 0 END), "
            "sum(s.duration) FROM visit_days vd JOIN visit_sessions s ON s.id = vd.id "
            "GROUP BY vd.day"
        )
    )
    for day, visits, views, bounces, duration in rows:
        sums[code, day, 0][1:] = [int(visits), int(views), int(bounces), int(duration)]


def _count_visit_values(connection: Connection, sums: _Sums, dimension: Dimension) -> None:
    column = f"s.{SESSION_COLUMNS[dimension]}"
    settled = " AND NOT s.location_pending" if dimension.is_place else ""
    rows = connection.execute(
        text(
            "SELECT value_id, day, count(*), sum(n) FROM ("  # noqa: S608
            f"SELECT {column} AS value_id, vd.day, vd.visitor, vd.alone, count(*) AS n "
            f"FROM visit_days vd JOIN visit_sessions s ON s.id = vd.id "
            f"WHERE {column} IS NOT NULL{settled} GROUP BY {column}, vd.day, vd.visitor, vd.alone"
            ") AS g GROUP BY value_id, day"
        )
    )
    code = DIMENSION_CODES[dimension]
    for value, day, visitors, visits in rows:
        counts = sums[code, day, value]
        counts[0] = 0 if dimension.counts_visits else int(visitors)
        counts[1] = int(visits)


def _count_hit_values(
    connection: Connection, site_id: int, sums: _Sums, dimension: Dimension
) -> None:
    column = "v.page_id" if dimension is Dimension.PAGE else "v.event_id"
    kind = "v.event_id IS NULL" if dimension is Dimension.PAGE else "v.event_id IS NOT NULL"
    rows = connection.execute(
        text(
            "SELECT value_id, day, count(*), sum(n) FROM ("  # noqa: S608
            f"SELECT {column} AS value_id, vd.day, vd.visitor, vd.alone, count(*) AS n "
            "FROM visits v JOIN visit_days vd ON vd.id = v.session_id "
            f"WHERE v.site_id = :site AND {kind} "
            f"GROUP BY {column}, vd.day, vd.visitor, vd.alone) AS g GROUP BY value_id, day"
        ),
        {"site": site_id},
    )
    code = DIMENSION_CODES[dimension]
    for value, day, visitors, views in rows:
        counts = sums[code, day, value]
        counts[0], counts[2] = int(visitors), int(views)


def _count_properties(
    connection: Connection, strings: StringIds, site_id: int, sums: _Sums
) -> None:
    rows = connection.execute(
        text(
            "SELECT vd.day, e.value, p.value, count(*) FROM visits v "
            "JOIN visit_days vd ON vd.id = v.session_id "
            "JOIN strings e ON e.id = v.event_id JOIN strings p ON p.id = v.props_id "
            "WHERE v.site_id = :site GROUP BY vd.day, e.value, p.value"
        ),
        {"site": site_id},
    ).all()
    found: list[tuple[int, str, int]] = []
    for day, event, props, count in rows:
        for name, value in json.loads(props).items():
            found.append((day, property_text(event, name, value), int(count)))
    ids = strings.ids(connection, {(site_id, text_) for _, text_, _ in found})
    code = DIMENSION_CODES[Tally.PROPERTY]
    for day, text_, count in found:
        sums[code, day, ids[site_id, text_]][2] += count


def _insert(
    connection: Connection,
    table: str,
    period: str,
    site_id: int,
    sums: Mapping[tuple[int, int, int], Iterable[int]],
) -> None:
    rows = [
        {
            "site": site_id,
            "code": code,
            "period": when,
            "value": value,
            **dict(
                zip(("visitors", "visits", "views", "bounces", "duration"), counts, strict=True)
            ),
        }
        for (code, when, value), counts in sums.items()
        if any(counts)
    ]
    if rows:
        connection.execute(
            text(
                f"INSERT INTO {table} (site_id, dimension, {period}, value_id, visitors, visits, "  # noqa: S608
                "views, bounces, duration) VALUES (:site, :code, :period, :value, :visitors, "
                ":visits, :views, :bounces, :duration)"
            ),
            rows,
        )


def _running_state(connection: Connection, site_id: int) -> None:
    """Who was counted for what, and each visitor's latest visit, on the days that may still
    be running (the last ones with visits)."""
    latest = connection.execute(text("SELECT max(day) FROM visit_days")).scalar_one()
    since = int(latest) - _RUNNING_DAYS
    params = {"site": site_id, "since": since}
    insert = "INSERT INTO visitor_values (site_id, day, visitor_id, dimension, value_id) "
    connection.execute(
        text(
            f"{insert} SELECT DISTINCT :site, day, visitor, {DIMENSION_CODES[Tally.TOTAL]}, 0 "  # noqa: S608
            "FROM visit_days WHERE visitor IS NOT NULL AND day >= :since"
        ),
        params,
    )
    for dimension, column in SESSION_COLUMNS.items():
        if dimension.counts_visits:
            continue
        settled = " AND NOT s.location_pending" if dimension.is_place else ""
        connection.execute(
            text(
                f"{insert} SELECT DISTINCT :site, vd.day, vd.visitor, "  # noqa: S608
                f"{DIMENSION_CODES[dimension]}, s.{column} FROM visit_days vd "
                "JOIN visit_sessions s ON s.id = vd.id WHERE vd.visitor IS NOT NULL "
                f"AND vd.day >= :since AND s.{column} IS NOT NULL{settled}"
            ),
            params,
        )
    for dimension, column in ((Dimension.PAGE, "page_id"), (Dimension.EVENT, "event_id")):
        kind = "v.event_id IS NULL" if dimension is Dimension.PAGE else "v.event_id IS NOT NULL"
        connection.execute(
            text(
                f"{insert} SELECT DISTINCT :site, vd.day, vd.visitor, "  # noqa: S608
                f"{DIMENSION_CODES[dimension]}, v.{column} FROM visits v "
                "JOIN visit_days vd ON vd.id = v.session_id WHERE v.site_id = :site "
                f"AND vd.visitor IS NOT NULL AND vd.day >= :since AND {kind}"
            ),
            params,
        )
    rows = connection.execute(
        text(
            "SELECT vd.visitor, vd.day, s.started_at, s.id FROM visit_days vd "
            "JOIN visit_sessions s ON s.id = vd.id "
            "WHERE vd.visitor IS NOT NULL AND vd.day >= :since"
        ),
        params,
    )
    latest_visits: dict[int, tuple[int, int, int]] = {}
    for visitor, day, started, session in rows:
        if (day, started, session) > latest_visits.get(visitor, (-1, -1, -1)):
            latest_visits[visitor] = (day, started, session)
    if latest_visits:
        connection.execute(
            text(
                "INSERT INTO visitor_days (site_id, visitor_id, day, session_id) "
                "VALUES (:site, :visitor, :day, :session)"
            ),
            [
                {"site": site_id, "visitor": visitor, "day": day, "session": session}
                for visitor, (day, _, session) in latest_visits.items()
            ],
        )
