"""The dashboard without filters, read from the counts kept per day and month (rollups).

Each number is a sum over a few stored rows per value: a year of a value is 12 monthly rows
and the days at the year's ends (``report_periods``), so a report's cost grows with the
number of distinct values, not with the number of visits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, text

from adapters.sql.report_periods import Periods, day_number, periods
from adapters.sql.tallies import DIMENSION_CODES
from tracking_core.reports.dimensions import Dimension
from tracking_core.reports.ranges import DateRange
from tracking_core.reports.report import Row
from tracking_core.reports.sessions import Headline
from tracking_core.reports.tallies import Tally

_TOTAL = DIMENSION_CODES[Tally.TOTAL]


def _parts(span: Periods, columns: str, dimension: int) -> tuple[str, dict[str, Any]]:
    """A ``UNION ALL`` of the daily and monthly rows of ``dimension`` in ``span``."""
    params: dict[str, Any] = {"dimension": dimension}
    parts = []
    # One part per run of days: "day BETWEEN a AND b OR day BETWEEN c AND d" would not be
    # read as two ranges of the key, but as a scan of the dimension's every day.
    for n, (low, high) in enumerate(span.days):
        parts.append(
            f"SELECT {columns} FROM daily_counts WHERE site_id = :site "  # noqa: S608
            f"AND dimension = :dimension AND day BETWEEN :low{n} AND :high{n}"
        )
        params[f"low{n}"], params[f"high{n}"] = low, high
    if span.months:
        parts.append(
            f"SELECT {columns} FROM monthly_counts WHERE site_id = :site "  # noqa: S608
            "AND dimension = :dimension AND month BETWEEN :first_month AND :last_month"
        )
        params["first_month"], params["last_month"] = span.months
    return " UNION ALL ".join(parts), params


def closed_through(connection: Connection, site_id: int) -> int | None:
    """The last month of the site with monthly counts."""
    found = connection.execute(
        text("SELECT counts_closed_through FROM sites WHERE id = :site"), {"site": site_id}
    ).scalar()
    return None if found is None else int(found)


def headline(connection: Connection, site_id: int, span: DateRange, closed: int | None) -> Headline:
    union, params = _parts(
        periods(span.first_day, span.last_day, closed),
        "visitors, visits, views, bounces, duration",
        _TOTAL,
    )
    row = connection.execute(
        text(
            "SELECT sum(visitors), sum(visits), sum(views), sum(bounces), sum(duration) "  # noqa: S608
            f"FROM ({union}) AS parts"
        ),
        {**params, "site": site_id},
    ).one()
    visitors, visits, views, bounces, duration = (int(value or 0) for value in row)
    return Headline(visitors, visits, views, bounces, timedelta(seconds=duration))


def daily_series(
    connection: Connection, site_id: int, span: DateRange
) -> dict[int, tuple[int, int]]:
    """Visitors and page views per day number."""
    rows = connection.execute(
        text(
            "SELECT day, visitors, views FROM daily_counts WHERE site_id = :site "
            "AND dimension = :dimension AND day BETWEEN :first AND :last"
        ),
        {
            "site": site_id,
            "dimension": _TOTAL,
            "first": day_number(span.first_day),
            "last": day_number(span.last_day),
        },
    )
    return {day: (visitors, views) for day, visitors, views in rows}


def breakdown(
    connection: Connection,
    site_id: int,
    span: DateRange,
    closed: int | None,
    dimension: Dimension,
    limit: int,
) -> list[Row]:
    """The top ``limit`` rows, ordered as ``report.ranked`` orders them."""
    count = "views" if dimension.of_hits else "visits"
    union, params = _parts(
        periods(span.first_day, span.last_day, closed),
        f"value_id, visitors, {count} AS n",
        DIMENSION_CODES[dimension],
    )
    name = 's.value COLLATE "C"' if connection.dialect.name == "postgresql" else "s.value"
    if dimension.counts_visits:
        keep, order = "t.n > 0", f"t.n DESC, {name}"
    else:
        keep, order = "t.visitors > 0", f"t.visitors DESC, t.n DESC, {name}"
    statement = text(
        "SELECT s.value, t.visitors, t.n FROM ("  # noqa: S608
        "SELECT value_id, sum(visitors) AS visitors, sum(n) AS n "
        f"FROM ({union}) AS parts GROUP BY value_id) AS t "
        f"JOIN strings s ON s.id = t.value_id WHERE {keep} ORDER BY {order} LIMIT :limit"
    )
    rows = connection.execute(statement, {**params, "site": site_id, "limit": limit})
    return [
        Row(value, 0 if dimension.counts_visits else int(visitors), int(n))
        for value, visitors, n in rows
    ]
