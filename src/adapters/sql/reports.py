"""``ports.ReportSource`` over SQL: the counts kept per day and month when the dashboard has
no filters (``report_counts``), the stored visits and hits when it has (``report_raw``).

All of a report's queries run in one transaction, so its numbers are of one moment.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator

from sqlalchemy import Connection, Engine, func, select

from adapters.sql import report_counts, tables
from adapters.sql.report_periods import day_number
from adapters.sql.report_raw import Selection
from tracking_core.reports.dimensions import Dimension
from tracking_core.reports.ranges import DateRange, Granularity
from tracking_core.reports.report import (
    Breakdown,
    Point,
    Report,
    ReportQuery,
    ranked_properties,
    total_for,
)


class SqlReportSource:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def report(self, query: ReportQuery) -> Report:
        with self.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN")  # one snapshot for every query
            try:
                if query.filters:
                    return self._filtered(connection, query)
                return self._counted(connection, query)
            finally:
                connection.rollback()

    def _counted(self, connection: Connection, query: ReportQuery) -> Report:
        site, span, limit = query.site_id, query.range, query.limit
        closed = report_counts.closed_through(connection, site)
        totals = report_counts.headline(connection, site, span, closed)
        if span.granularity is Granularity.HOUR:
            everything = Selection(connection, site, span, ())
            series = tuple(_hourly(span, everything.hits()))
            everything.close()
        else:
            series = tuple(_daily(span, report_counts.daily_series(connection, site, span)))
        return Report(
            query=query,
            headline=totals,
            previous=report_counts.headline(connection, site, span.previous(), closed),
            series=series,
            breakdowns=tuple(
                Breakdown(
                    d,
                    tuple(report_counts.breakdown(connection, site, span, closed, d, limit)),
                    total_for(d, totals),
                )
                for d in Dimension
            ),
            bots=_bots(connection, site, span),
        )

    def _filtered(self, connection: Connection, query: ReportQuery) -> Report:
        site, span, limit = query.site_id, query.range, query.limit
        before = Selection(connection, site, span.previous(), query.filters)
        previous = before.headline()
        before.close()
        chosen = Selection(connection, site, span, query.filters)
        try:
            totals = chosen.headline()
            if span.granularity is Granularity.HOUR:
                series = tuple(_hourly(span, chosen.hits()))
            else:
                series = tuple(_daily(span, chosen.daily_series()))
            event = query.event
            return Report(
                query=query,
                headline=totals,
                previous=previous,
                series=series,
                breakdowns=tuple(
                    Breakdown(d, tuple(chosen.breakdown(d, limit)), total_for(d, totals))
                    for d in Dimension
                ),
                properties=ranked_properties(chosen.properties(event), limit) if event else (),
                bots=_bots(connection, site, span),
            )
        finally:
            chosen.close()


def _daily(span: DateRange, by_day: dict[int, tuple[int, int]]) -> Iterator[Point]:
    for start in span.buckets():
        visitors, views = by_day.get(day_number(start.astimezone(span.tz).date()), (0, 0))
        yield Point(start, visitors, views)


def _hourly(
    span: DateRange, hits: Iterable[tuple[int, int | None, int | None, bool]]
) -> Iterator[Point]:
    starts = span.buckets()
    seconds = [int(start.timestamp()) for start in starts]
    visitors: list[set[tuple[int | None, int | None]]] = [set() for _ in starts]
    views = [0] * len(starts)
    for at, visitor, alone, is_view in hits:
        bucket = bisect.bisect_right(seconds, at) - 1
        visitors[bucket].add((visitor, alone))
        views[bucket] += is_view
    for start, who, seen in zip(starts, visitors, views, strict=True):
        yield Point(start, len(who), seen)


def _bots(connection: Connection, site_id: int, span: DateRange) -> int:
    bots = tables.bot_counts
    statement = select(func.coalesce(func.sum(bots.c.bots), 0)).where(
        bots.c.site_id == site_id, bots.c.day >= span.first_day, bots.c.day <= span.last_day
    )
    return int(connection.execute(statement).scalar_one())
