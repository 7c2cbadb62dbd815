"""Visits (sessions) as they happen: each new hit either continues its visitor's visit or
starts a new one, by the same rules as ``sessions.split_sessions``.

A writer that keeps each visit's running state can assign hits to visits as they arrive,
instead of cutting a day's hits into visits at every report. Given the hits in the order
``split_sessions`` sorts them (by time; at the same instant, page views first), both give
the same visits with the same entry and exit pages, page views, events and duration (the
tests hold them to it). When hits arrive out of order (two worker processes committing
milliseconds apart), a hit still joins the visit it falls in, duration and counts stay
exact, and entry and exit are the first and last recorded.

``P`` is however the caller names a page: a path, or an id in its own table of strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

import attrs

from tracking_core.reports.sessions import SESSION_TIMEOUT

P = TypeVar("P")


@attrs.frozen
class OpenSession(Generic[P]):
    """The running state of one visit."""

    visitor_id: int
    started_at: datetime
    ended_at: datetime
    page_views: int
    events: int
    #: The first page viewed; while there is none, the page of the first hit.
    entry_page: P
    #: The last page viewed; while there is none, the page of the last hit.
    exit_page: P

    @property
    def is_bounce(self) -> bool:
        return self.page_views == 1 and self.events == 0

    def continued_by(self, at: datetime) -> bool:
        """Whether a hit at ``at`` belongs to this visit: less than 30 minutes from it."""
        return self.started_at - SESSION_TIMEOUT < at < self.ended_at + SESSION_TIMEOUT


def start_session(visitor_id: int, at: datetime, page: P, *, is_page_view: bool) -> OpenSession[P]:
    """The visit a visitor's hit starts."""
    return OpenSession(
        visitor_id=visitor_id,
        started_at=at,
        ended_at=at,
        page_views=1 if is_page_view else 0,
        events=0 if is_page_view else 1,
        entry_page=page,
        exit_page=page,
    )


def add_hit(
    session: OpenSession[P], at: datetime, page: P, *, is_page_view: bool
) -> OpenSession[P]:
    """``session`` once a hit at ``at`` on ``page`` joined it (see ``continued_by``)."""
    first_view = is_page_view and session.page_views == 0
    # The exit moves to a later page view, or, while there is none, to a later hit.
    moves_exit = at >= session.ended_at and (is_page_view or session.page_views == 0)
    # The constructor, not attrs.evolve: this runs for every hit the beacon stores.
    return OpenSession(
        visitor_id=session.visitor_id,
        started_at=min(session.started_at, at),
        ended_at=max(session.ended_at, at),
        page_views=session.page_views + is_page_view,
        events=session.events + (not is_page_view),
        entry_page=page if first_view else session.entry_page,
        exit_page=page if first_view or moves_exit else session.exit_page,
    )
