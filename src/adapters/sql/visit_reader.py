"""Reading stored visits (hits) back as the core's ``Visit``: each hit with what its visit
(session) keeps for all its hits, and the texts its ids refer to."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Row, func, select

from adapters.sql import tables
from adapters.sql.strings import texts
from adapters.sql.visit_sessions import instant
from tracking_core.entities import Visit
from tracking_core.reports.agents import DeviceType
from tracking_core.reports.places import location_from_text
from tracking_core.reports.sources import restore
from tracking_core.use_cases.visits import PAGE_VIEW

_TEXT_COLUMNS = (
    "url_id",
    "event_id",
    "props_id",
    "source_id",
    "referrer_domain_id",
    "utm_source_id",
    "utm_medium_id",
    "utm_campaign_id",
    "browser_id",
    "browser_version_id",
    "os_id",
    "device_id",
    "network_id",
    "location_id",
)


def page_of_visits(connection: Connection, site_id: int, *, offset: int, limit: int) -> list[Visit]:
    """Newest first; hits of the same second list the later arrival first."""
    hits, sessions = tables.visits, tables.visit_sessions
    statement = (
        select(
            hits.c.site_id,
            hits.c.at,
            hits.c.url_id,
            hits.c.event_id,
            hits.c.props_id,
            *(sessions.c[name] for name in _SESSION_COLUMNS),
        )
        .join(sessions, sessions.c.id == hits.c.session_id)
        .where(hits.c.site_id == site_id)
        .order_by(hits.c.at.desc(), hits.c.seq.desc())
        .offset(offset)
        .limit(limit)
    )
    rows = connection.execute(statement).all()
    known = texts(connection, (row._mapping[name] for row in rows for name in _TEXT_COLUMNS))
    return [_visit(row, known) for row in rows]


def count_visits(connection: Connection, site_id: int) -> int:
    statement = (
        select(func.count()).select_from(tables.visits).where(tables.visits.c.site_id == site_id)
    )
    return int(connection.execute(statement).scalar_one())


_SESSION_COLUMNS = (
    "visitor_id",
    "source_id",
    "referrer_domain_id",
    "utm_source_id",
    "utm_medium_id",
    "utm_campaign_id",
    "browser_id",
    "browser_version_id",
    "os_id",
    "device_id",
    "screen_width",
    "ip_address",
    "network_id",
    "location_id",
    "location_pending",
)


def _visit(row: Row[Any], known: dict[int, str]) -> Visit:
    def text(column: str) -> str | None:
        value = row._mapping[column]
        return None if value is None else known[value]

    location = text("location_id")
    props = text("props_id")
    return Visit(
        site_id=row.site_id,
        created_at=instant(row.at),
        url=known[row.url_id],
        event=text("event_id") or PAGE_VIEW,
        browser=known[row.browser_id],
        browser_version=text("browser_version_id"),
        os=known[row.os_id],
        device_type=DeviceType(known[row.device_id]),
        visitor_id=row.visitor_id,
        source=restore(
            known[row.source_id],
            text("referrer_domain_id"),
            text("utm_source_id"),
            text("utm_medium_id"),
            text("utm_campaign_id"),
        ),
        ip_address=row.ip_address or text("network_id"),
        location=location_from_text(location) if location else None,
        screen_width=row.screen_width,
        props=json.loads(props) if props else {},
        location_pending=row.location_pending,
    )
