"""The dashboard as CSV: what it shows, block by block, safe to open in a spreadsheet
(``reports.csv_export`` neutralises cells a spreadsheet would run as formulas)."""

from __future__ import annotations

from collections.abc import Iterator

from entrypoints.web.dashboard_view import NAMES, TITLES
from tracking_core.entities import Site
from tracking_core.reports.csv_export import Cell
from tracking_core.reports.report import Report, count_of


def rows(site: Site, report: Report) -> Iterator[list[Cell]]:
    span = report.query.range
    yield ["Site", site.base_url]
    yield ["From", str(span.first_day), "To", str(span.last_day), "Time zone", site.timezone]
    for chosen in report.query.filters:
        yield ["Filter", NAMES[chosen.dimension], chosen.value]
    yield []
    yield ["Metric", "Value", "Previous period"]
    now, before = report.headline, report.previous
    yield ["Unique visitors", now.visitors, before.visitors]
    yield ["Visits", now.visits, before.visits]
    yield ["Page views", now.page_views, before.page_views]
    yield ["Views per visit", round(now.views_per_visit, 2), round(before.views_per_visit, 2)]
    yield ["Bounce rate", round(now.bounce_rate, 4), round(before.bounce_rate, 4)]
    yield [
        "Average visit duration (s)",
        round(now.average_duration.total_seconds(), 1),
        round(before.average_duration.total_seconds(), 1),
    ]
    yield ["Bots filtered out", report.bots, ""]
    yield []
    yield ["Start (UTC)", "Visitors", "Page views"]
    for point in report.series:
        yield [point.start.strftime("%Y-%m-%d %H:%M"), point.visitors, point.page_views]
    for breakdown in report.breakdowns:
        dimension = breakdown.dimension
        yield []
        if dimension.counts_visits:
            yield [TITLES[dimension], count_of(dimension).capitalize(), "Share"]
            for row in breakdown.rows:
                yield [row.name, row.count, round(breakdown.share(row), 4)]
        else:
            yield [TITLES[dimension], "Visitors", count_of(dimension).capitalize(), "Share"]
            for row in breakdown.rows:
                yield [row.name, row.visitors, row.count, round(breakdown.share(row), 4)]
    if report.properties:
        yield []
        yield [f"Properties of {report.query.event}", "Value", "Events"]
        for prop in report.properties:
            yield [prop.name, prop.value, prop.count]
