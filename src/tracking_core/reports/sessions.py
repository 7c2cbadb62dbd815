"""Visits (sessions) and the headline numbers of a report, from a site's hits.

A visit is one visitor's run of hits with no pause of 30 minutes or more. Choices where the
issue is silent, each as Plausible does it unless said otherwise:

- A pause of exactly 30 minutes ends the visit: "30 minutes of inactivity" has then passed.
- Custom events are not page views, but they keep a visit going and make it not a bounce.
- A bounce is a visit with exactly one page view and no custom event.
- Entry and exit pages are the first and last page viewed; a visit made only of custom events
  (a tab left open, then a click) uses the pages those events happened on.
- Duration is the time from the first hit to the last (0 for a single hit). The average
  duration counts every visit, bounces included, as Plausible does.
- Hits at the same instant are ordered page views first, then by path and event name, so the
  result never depends on the order rows arrive in.
- Visitor ids change every day (see ``visitor_ids``), so a visit across the site's midnight
  becomes two, and "unique visitors" over several days counts a person once per day visited.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import groupby

import attrs

from tracking_core.use_cases.visits import PAGE_VIEW

SESSION_TIMEOUT = timedelta(minutes=30)


@attrs.frozen
class PageViewRow:
    """One hit as the reports need it: who, when, where, and which event."""

    visitor_id: int
    timestamp: datetime
    path: str
    event: str = PAGE_VIEW

    @property
    def is_page_view(self) -> bool:
        return self.event == PAGE_VIEW

    def sort_key(self) -> tuple[int, datetime, bool, str, str]:
        return (self.visitor_id, self.timestamp, not self.is_page_view, self.path, self.event)


@attrs.frozen
class Session:
    """One visit: a visitor's hits, in order, with no pause of ``SESSION_TIMEOUT`` or more."""

    visitor_id: int
    hits: tuple[PageViewRow, ...]

    @property
    def start(self) -> datetime:
        return self.hits[0].timestamp

    @property
    def end(self) -> datetime:
        return self.hits[-1].timestamp

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def page_views(self) -> int:
        return sum(1 for hit in self.hits if hit.is_page_view)

    @property
    def events(self) -> int:
        """Custom events: every hit that is not a page view."""
        return len(self.hits) - self.page_views

    @property
    def is_bounce(self) -> bool:
        return self.page_views == 1 and self.events == 0

    @property
    def entry_page(self) -> str:
        return self._pages()[0].path

    @property
    def exit_page(self) -> str:
        return self._pages()[-1].path

    def _pages(self) -> Sequence[PageViewRow]:
        return [hit for hit in self.hits if hit.is_page_view] or self.hits


def split_sessions(
    rows: Iterable[PageViewRow], timeout: timedelta = SESSION_TIMEOUT
) -> list[Session]:
    """Cut each visitor's hits into visits; ordered by start, then visitor id."""
    sessions: list[Session] = []
    for visitor_id, hits in groupby(sorted(rows, key=PageViewRow.sort_key), lambda r: r.visitor_id):
        current: list[PageViewRow] = []
        for hit in hits:
            if current and hit.timestamp - current[-1].timestamp >= timeout:
                sessions.append(Session(visitor_id, tuple(current)))
                current = []
            current.append(hit)
        sessions.append(Session(visitor_id, tuple(current)))
    sessions.sort(key=lambda session: (session.start, session.visitor_id))
    return sessions


@attrs.frozen
class Headline:
    """The numbers at the top of the dashboard. Sums are kept so that periods can be added."""

    visitors: int = 0
    visits: int = 0
    page_views: int = 0
    bounces: int = 0
    total_duration: timedelta = timedelta(0)

    @property
    def views_per_visit(self) -> float:
        return self.page_views / self.visits if self.visits else 0.0

    @property
    def bounce_rate(self) -> float:
        """The share of visits that bounced, from 0 to 1."""
        return self.bounces / self.visits if self.visits else 0.0

    @property
    def average_duration(self) -> timedelta:
        return self.total_duration / self.visits if self.visits else timedelta(0)


def headline(sessions: Iterable[Session]) -> Headline:
    """The headline numbers of a report whose visits are ``sessions``."""
    visitors: set[int] = set()
    visits = page_views = bounces = 0
    total_duration = timedelta(0)
    for session in sessions:
        visitors.add(session.visitor_id)
        visits += 1
        page_views += session.page_views
        bounces += session.is_bounce
        total_duration += session.duration
    return Headline(len(visitors), visits, page_views, bounces, total_duration)


def relative_change(current: float, previous: float) -> float | None:
    """The change from the previous period as a fraction (0.25 is +25%); None from zero."""
    if previous == 0:
        return None
    return (current - previous) / previous
