"""The dashboard's numbers as plain values: what a ``ReportSource`` answers.

A report covers one site, one date range and one set of filters (``dimensions``): the
headline numbers for the range and for the period before it, one point of the chart per hour
or day, and for each dimension its top items.

What "unique visitors" means over several days: visitor ids change every day (that is what
makes them unlinkable, see ``visitor_ids``), so a person who comes on three days is three
visitors, as in Plausible's and GoatCounter's cookieless counting. Over one day, the
visitors are people (a browser on an address); over a range, visitor-days. The same holds in
every breakdown: a page's visitors are the visitor-days in which it was viewed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from tracking_core.reports.dimensions import Dimension, Filter
from tracking_core.reports.ranges import DateRange
from tracking_core.reports.sessions import Headline

DEFAULT_LIMIT = 10


@attrs.frozen
class ReportQuery:
    site_id: int
    range: DateRange
    filters: tuple[Filter, ...] = ()
    #: How many items each breakdown lists, at most.
    limit: int = DEFAULT_LIMIT

    @property
    def event(self) -> str | None:
        """The event filtered by, whose properties the report breaks down."""
        return next((f.value for f in self.filters if f.dimension is Dimension.EVENT), None)


@attrs.frozen
class Row:
    """One item of a breakdown: its visitors, and its count (see ``count_of``).

    Entry and exit pages are counted in visits only: their ``visitors`` is 0.
    """

    name: str
    visitors: int
    count: int


@attrs.frozen
class Breakdown:
    dimension: Dimension
    rows: tuple[Row, ...]
    #: What shares are of: the report's visitors, or its visits for entry and exit pages.
    total: int

    def share(self, row: Row) -> float:
        """The row's part of the total, from 0 (a page's visitors can add up to more than 1:
        one visitor views several pages)."""
        value = row.count if self.dimension.counts_visits else row.visitors
        return value / self.total if self.total else 0.0


def count_of(dimension: Dimension) -> str:
    """What a row's ``count`` counts for ``dimension``."""
    if dimension is Dimension.PAGE:
        return "page views"
    if dimension is Dimension.EVENT:
        return "events"
    return "visits"


def ranked(rows: Iterable[Row], dimension: Dimension, limit: int) -> tuple[Row, ...]:
    """The ``limit`` first rows: most visitors first (most visits for entry and exit pages),
    then the larger count, then by name, so the same data always gives the same list."""
    if dimension.counts_visits:
        order = sorted(rows, key=lambda r: (-r.count, r.name))
    else:
        order = sorted(rows, key=lambda r: (-r.visitors, -r.count, r.name))
    return tuple(order[:limit])


def total_for(dimension: Dimension, headline: Headline) -> int:
    return headline.visits if dimension.counts_visits else headline.visitors


@attrs.frozen
class Point:
    """One point of the chart: the hour or day starting at ``start`` (UTC)."""

    start: datetime
    visitors: int
    page_views: int


@attrs.frozen
class PropertyRow:
    """How often one custom event carried one property value."""

    name: str
    value: str
    count: int


def ranked_properties(rows: Iterable[PropertyRow], limit: int) -> tuple[PropertyRow, ...]:
    return tuple(sorted(rows, key=lambda r: (-r.count, r.name, r.value))[:limit])


@attrs.frozen
class Report:
    query: ReportQuery
    headline: Headline
    #: The same numbers for ``query.range.previous()``, under the same filters.
    previous: Headline
    series: tuple[Point, ...]
    breakdowns: tuple[Breakdown, ...]
    #: The properties of ``query.event``'s events, when the report is filtered by an event.
    properties: tuple[PropertyRow, ...] = ()
    #: Bot hits filtered out in the range (not affected by filters: bots have no visits).
    bots: int = 0

    def breakdown(self, dimension: Dimension) -> Breakdown:
        return next(b for b in self.breakdowns if b.dimension is dimension)
