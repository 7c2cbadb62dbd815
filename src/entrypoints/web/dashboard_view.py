"""What the dashboard template shows, worked out from a report: texts, links, shares.

Every link the dashboard makes is to itself, with its query changed (a range, a filter added
or removed), written with ``urlencode``; the only outside links are to the site's own pages,
under its own http(s) address. Names from visits go into the template as text, to be escaped
there like everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

import attrs

from entrypoints.web import formats
from entrypoints.web.chart import Chart, draw, point_label
from tracking_core.reports.dimensions import Dimension
from tracking_core.reports.known_sources import category_of
from tracking_core.reports.ranges import DateRange, RangeKind
from tracking_core.reports.report import Breakdown, PropertyRow, Report, count_of

#: The query parameters a dashboard link carries: its range, then its filters.
RANGE_PARAMS = ("range", "from", "to")
PRESETS = (
    (RangeKind.TODAY, "Today"),
    (RangeKind.LAST_7_DAYS, "7 days"),
    (RangeKind.LAST_30_DAYS, "30 days"),
    (RangeKind.THIS_MONTH, "This month"),
    (RangeKind.LAST_12_MONTHS, "12 months"),
)
TITLES = {
    Dimension.PAGE: "Pages",
    Dimension.ENTRY_PAGE: "Entry pages",
    Dimension.EXIT_PAGE: "Exit pages",
    Dimension.SOURCE: "Sources",
    Dimension.UTM_SOURCE: "Campaign sources",
    Dimension.UTM_MEDIUM: "Campaign media",
    Dimension.UTM_CAMPAIGN: "Campaigns",
    Dimension.COUNTRY: "Countries",
    Dimension.REGION: "Regions",
    Dimension.CITY: "Cities",
    Dimension.BROWSER: "Browsers",
    Dimension.OS: "Operating systems",
    Dimension.DEVICE: "Devices",
    Dimension.EVENT: "Events",
}
#: Singular, for a filter chip: "Source: Google".
NAMES = {
    Dimension.PAGE: "Page",
    Dimension.ENTRY_PAGE: "Entry page",
    Dimension.EXIT_PAGE: "Exit page",
    Dimension.SOURCE: "Source",
    Dimension.UTM_SOURCE: "utm_source",
    Dimension.UTM_MEDIUM: "utm_medium",
    Dimension.UTM_CAMPAIGN: "utm_campaign",
    Dimension.COUNTRY: "Country",
    Dimension.REGION: "Region",
    Dimension.CITY: "City",
    Dimension.BROWSER: "Browser",
    Dimension.OS: "System",
    Dimension.DEVICE: "Device",
    Dimension.EVENT: "Event",
}
#: Panels shown side by side, in the order of the page. Campaign panels show when they
#: have something to show.
GROUPS = (
    (Dimension.PAGE, Dimension.ENTRY_PAGE, Dimension.EXIT_PAGE),
    (Dimension.SOURCE, Dimension.UTM_SOURCE, Dimension.UTM_MEDIUM, Dimension.UTM_CAMPAIGN),
    (Dimension.COUNTRY, Dimension.REGION, Dimension.CITY),
    (Dimension.BROWSER, Dimension.OS, Dimension.DEVICE),
    (Dimension.EVENT,),
)
_OPTIONAL = {Dimension.UTM_SOURCE, Dimension.UTM_MEDIUM, Dimension.UTM_CAMPAIGN}
_PAGES = {Dimension.PAGE, Dimension.ENTRY_PAGE, Dimension.EXIT_PAGE}
#: Column headings are short: the panels are narrow.
_SHORT = {"page views": "views"}


@attrs.frozen
class Links:
    """Links to this dashboard with its query changed."""

    path: str
    params: dict[str, str]

    @classmethod
    def of(cls, path: str, query: Mapping[str, str]) -> Links:
        names = (*RANGE_PARAMS, *(d.value for d in Dimension))
        return cls(path, {name: query[name] for name in names if query.get(name)})

    def to(self, path: str | None = None, **changes: str | None) -> str:
        params = {**self.params, **changes}
        kept = {name: value for name, value in params.items() if value}
        return (path or self.path) + (f"?{urlencode(kept)}" if kept else "")


@attrs.frozen
class Headline:
    label: str
    value: str
    change: formats.Change
    previous: str


@attrs.frozen
class PanelRow:
    name: str
    visitors: str
    count: str
    #: The share, as text and as a whole percentage for the bar (capped at 100).
    share: str
    bar: int
    filter_href: str
    #: The page itself, on the site, for pages; else None.
    page_href: str | None = None
    #: "search" or "social" for a known source.
    tag: str | None = None


@attrs.frozen
class Panel:
    dimension: Dimension
    title: str
    count_label: str
    counts_visitors: bool
    rows: tuple[PanelRow, ...]
    #: The value this panel filters by now, if any.
    active: str | None


@attrs.frozen
class Chip:
    label: str
    value: str
    remove_href: str


@attrs.frozen
class Dashboard:
    range_label: str
    presets: tuple[tuple[str, str, bool], ...]
    custom_from: str
    custom_to: str
    custom_chosen: bool
    chips: tuple[Chip, ...]
    headlines: tuple[Headline, ...]
    chart: Chart
    series_rows: tuple[tuple[str, str, str], ...]
    series_unit: str
    groups: tuple[tuple[Panel, ...], ...]
    properties: tuple[PropertyRow, ...]
    event: str | None
    bots: str
    export_href: str
    keep_params: tuple[tuple[str, str], ...]
    empty: bool


def dashboard(report: Report, links: Links, base_url: str) -> Dashboard:
    span = report.query.range
    filters = report.query.filters
    active = {f.dimension: f.value for f in filters}
    chart = draw(report.series, span.granularity, span.tz)
    return Dashboard(
        range_label=range_label(span),
        presets=tuple(
            (label, links.to(range=kind.value, **{"from": None, "to": None}), span.kind is kind)
            for kind, label in PRESETS
        ),
        custom_from=str(span.first_day),
        custom_to=str(span.last_day),
        custom_chosen=span.kind is RangeKind.CUSTOM,
        chips=tuple(
            Chip(NAMES[f.dimension], f.value, links.to(**{f.dimension.value: None}))
            for f in filters
        ),
        headlines=_headlines(report),
        chart=chart,
        series_rows=tuple(
            (
                point_label(p, span.granularity, span.tz),
                formats.number(p.visitors),
                formats.number(p.page_views),
            )
            for p in report.series
        ),
        series_unit="Hour" if span.days == 1 else "Day",
        groups=tuple(
            tuple(
                _panel(report.breakdown(d), links, active.get(d), base_url)
                for d in group
                if d not in _OPTIONAL or report.breakdown(d).rows
            )
            for group in GROUPS
        ),
        properties=report.properties,
        event=report.query.event,
        bots=formats.number(report.bots),
        export_href=links.to(path=f"{links.path}/export.csv"),
        keep_params=tuple(
            (name, value) for name, value in links.params.items() if name not in RANGE_PARAMS
        ),
        empty=not report.headline.visits and not filters,
    )


def range_label(span: DateRange) -> str:
    first, last = span.first_day, span.last_day
    if first == last:
        return f"{first:%a} {first.day} {first:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} \u2013 {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} \u2013 {last.day} {last:%b %Y}"


def _headlines(report: Report) -> tuple[Headline, ...]:
    now, before = report.headline, report.previous
    return (
        Headline(
            "Unique visitors",
            formats.number(now.visitors),
            formats.change(now.visitors, before.visitors),
            formats.number(before.visitors),
        ),
        Headline(
            "Visits",
            formats.number(now.visits),
            formats.change(now.visits, before.visits),
            formats.number(before.visits),
        ),
        Headline(
            "Page views",
            formats.number(now.page_views),
            formats.change(now.page_views, before.page_views),
            formats.number(before.page_views),
        ),
        Headline(
            "Views per visit",
            formats.number(round(now.views_per_visit, 1)),
            formats.change(now.views_per_visit, before.views_per_visit),
            formats.number(round(before.views_per_visit, 1)),
        ),
        Headline(
            "Bounce rate",
            formats.percent(now.bounce_rate),
            formats.point_change(now.bounce_rate, before.bounce_rate, lower_is_better=True),
            formats.percent(before.bounce_rate),
        ),
        Headline(
            "Visit duration",
            formats.duration(now.average_duration),
            formats.change(
                now.average_duration.total_seconds(), before.average_duration.total_seconds()
            ),
            formats.duration(before.average_duration),
        ),
    )


def _panel(breakdown: Breakdown, links: Links, active: str | None, base_url: str) -> Panel:
    dimension = breakdown.dimension
    origin = _origin(base_url)
    rows = []
    for row in breakdown.rows:
        share = breakdown.share(row)
        page = None
        if dimension in _PAGES and origin and row.name.startswith("/"):
            page = origin + row.name
        category = category_of(row.name) if dimension is Dimension.SOURCE else None
        rows.append(
            PanelRow(
                name=row.name.capitalize() if dimension is Dimension.DEVICE else row.name,
                visitors=formats.number(row.visitors),
                count=formats.number(row.count),
                share=formats.percent(share),
                bar=min(100, round(share * 100)),
                filter_href=links.to(**{dimension.value: row.name}),
                page_href=page,
                tag=category.value if category else None,
            )
        )
    return Panel(
        dimension=dimension,
        title=TITLES[dimension],
        count_label=_SHORT.get(count_of(dimension), count_of(dimension)).capitalize(),
        counts_visitors=not dimension.counts_visits,
        rows=tuple(rows),
        active=active,
    )


def _origin(base_url: str) -> str | None:
    """The site's ``scheme://host[:port]``, when it is http(s)."""
    parts = urlsplit(base_url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"
