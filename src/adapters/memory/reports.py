"""The dashboard's numbers computed the slow, obvious way: from every stored hit, each time.

This is the reference the SQL read model (rollups kept as visits arrive, and queries over the
raw rows under filters) is tested against: hits are cut into visits by
``sessions.split_sessions`` (per visitor and local day: visitor ids change at the site's
midnight), each visit takes its source, agent and place from its first hit, and everything
is counted from there.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date

import attrs

from adapters.memory.repositories import InMemoryStore
from tracking_core.entities import Visit
from tracking_core.reports.dimensions import Dimension, Filter
from tracking_core.reports.pages import page_path
from tracking_core.reports.places import place_of
from tracking_core.reports.ranges import DateRange, Granularity
from tracking_core.reports.report import (
    Breakdown,
    Point,
    PropertyRow,
    Report,
    ReportQuery,
    Row,
    ranked,
    ranked_properties,
    total_for,
)
from tracking_core.reports.sessions import Headline, PageViewRow, Session, headline, split_sessions
from tracking_core.use_cases.visits import PAGE_VIEW


@attrs.frozen
class _Hit(PageViewRow):
    """A hit as ``split_sessions`` sorts it, remembering which stored visit it is."""

    index: int = 0


@attrs.frozen
class _Visit:
    """One visit (session) and what it is counted by."""

    session: Session
    day: date
    hits: tuple[Visit, ...]

    @property
    def first(self) -> Visit:
        return self.hits[0]

    @property
    def visitor(self) -> int:
        """Its visitor-day, as ``split_sessions`` numbered it."""
        return self.session.visitor_id

    def values(self, dimension: Dimension) -> Iterator[str]:
        """The visit's values of ``dimension``: one for a visit's own, any number for pages
        and events. An unknown one (no campaign tag, no known country) is no value."""
        first = self.first
        if dimension is Dimension.PAGE:
            yield from (page_path(h.url) for h in self.hits if h.event == PAGE_VIEW)
            return
        if dimension is Dimension.EVENT:
            yield from (h.event for h in self.hits if h.event != PAGE_VIEW)
            return
        value = _visit_value(dimension, self, first)
        if value is not None:
            yield value


def _visit_value(dimension: Dimension, visit: _Visit, first: Visit) -> str | None:
    if dimension.is_place:
        if first.location_pending:
            return None  # counted once its place is known for sure
        place = place_of(first.location)
        return {Dimension.COUNTRY: place.country, Dimension.REGION: place.region}.get(
            dimension, place.city
        )
    source = first.source
    return {
        Dimension.ENTRY_PAGE: visit.session.entry_page,
        Dimension.EXIT_PAGE: visit.session.exit_page,
        Dimension.SOURCE: source.name,
        Dimension.UTM_SOURCE: source.utm_source,
        Dimension.UTM_MEDIUM: source.utm_medium,
        Dimension.UTM_CAMPAIGN: source.utm_campaign,
        Dimension.BROWSER: first.browser,
        Dimension.OS: first.os,
        Dimension.DEVICE: first.device_type.value,
    }[dimension]


class InMemoryReportSource:
    """``ports.ReportSource`` over an ``InMemoryStore``."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def report(self, query: ReportQuery) -> Report:
        span = query.range
        mine = [v for v in self.store.visits if v.site_id == query.site_id]
        current = _selected(_visits(mine, span), query.filters)
        previous = _selected(_visits(mine, span.previous()), query.filters)
        totals = _headline(current)
        event = query.event
        return Report(
            query=query,
            headline=totals,
            previous=_headline(previous),
            series=tuple(_series(current, span)),
            breakdowns=tuple(
                Breakdown(d, ranked(_rows(current, d), d, query.limit), total_for(d, totals))
                for d in Dimension
            ),
            properties=ranked_properties(_properties(current, event), query.limit) if event else (),
            bots=sum(
                count
                for (site, day), count in self.store.bot_counts.items()
                if site == query.site_id and span.first_day <= day <= span.last_day
            ),
        )


def _visits(hits: list[Visit], span: DateRange) -> list[_Visit]:
    """The visits of the hits in ``span``, each visitor's split at the site's midnight."""
    tz = span.tz
    keys: dict[tuple[object, date], int] = {}
    rows = []
    for index, hit in enumerate(hits):
        if not span.contains(hit.created_at):
            continue
        day = hit.created_at.astimezone(tz).date()
        who: object = hit.visitor_id if hit.visitor_id is not None else ("alone", index)
        key = keys.setdefault((who, day), len(keys))
        rows.append(_Hit(key, hit.created_at, page_path(hit.url), hit.event, index=index))
    visits = []
    for session in split_sessions(rows):
        mine = tuple(hits[h.index] for h in session.hits if isinstance(h, _Hit))
        visits.append(_Visit(session, session.start.astimezone(tz).date(), mine))
    return visits


def _selected(visits: list[_Visit], filters: tuple[Filter, ...]) -> list[_Visit]:
    return [v for v in visits if all(f.value in set(v.values(f.dimension)) for f in filters)]


def _headline(visits: list[_Visit]) -> Headline:
    return headline(v.session for v in visits)


def _series(visits: list[_Visit], span: DateRange) -> Iterator[Point]:
    starts = span.buckets()
    visitors: list[set[int]] = [set() for _ in starts]
    views = [0] * len(starts)
    for visit in visits:
        if span.granularity is Granularity.DAY:
            bucket = bisect.bisect_right(starts, visit.session.start) - 1
            visitors[bucket].add(visit.visitor)
            views[bucket] += visit.session.page_views
            continue
        for hit in visit.session.hits:
            bucket = bisect.bisect_right(starts, hit.timestamp) - 1
            visitors[bucket].add(visit.visitor)
            views[bucket] += hit.is_page_view
    for start, who, seen in zip(starts, visitors, views, strict=True):
        yield Point(start, len(who), seen)


def _rows(visits: list[_Visit], dimension: Dimension) -> Iterable[Row]:
    visitors: dict[str, set[int]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for visit in visits:
        values = list(visit.values(dimension))
        for value in values:
            visitors[value].add(visit.visitor)
            if dimension.of_hits:
                counts[value] += 1  # page views, events
        if not dimension.of_hits:
            for value in set(values):
                counts[value] += 1  # visits
    if dimension.counts_visits:  # entrances and exits are counted in visits only
        return [Row(name, 0, counts[name]) for name in counts]
    return [Row(name, len(visitors[name]), counts[name]) for name in counts]


def _properties(visits: list[_Visit], event: str) -> Iterable[PropertyRow]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for visit in visits:
        for hit in visit.hits:
            if hit.event == event:
                for name, value in hit.props.items():
                    counts[name, value] += 1
    return [PropertyRow(name, value, count) for (name, value), count in counts.items()]
