"""Visits are stored in their visits (sessions), with repeated texts stored once per site.

New tables: ``strings`` (each text a site's visits repeat, once), ``visit_sessions`` (what a
visit's hits share: where it came from, the browser, the place, and its running counts) and
``visitor_days`` (each visitor's latest visit, while their day lasts). ``visits`` becomes the
hits: a time in whole seconds and ids of texts. The full referrer URL and each hit's own
screen width are no longer kept (a visit keeps its referrer's domain and the first width).

Stored visits are converted: cut into visits per visitor and day by the rules the writer
applies (``reports.open_sessions``), day by day so memory stays bounded.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_INDEXES = ("ix_visits_site_id_created_at", "ix_visits_ip_address_location_pending")


def upgrade() -> None:
    bind = op.get_bind()
    _create_new_tables()
    for name in _OLD_INDEXES:
        op.drop_index(name, table_name="visits")
    op.rename_table("visits", "visits_old")
    if bind.dialect.name == "postgresql":
        for old in ("pk_visits", "fk_visits_site_id_sites"):
            op.execute(f"ALTER TABLE visits_old RENAME CONSTRAINT {old} TO {old}_old")
    _create_hits_table()
    _convert(bind)
    op.drop_table("visits_old")


def downgrade() -> None:
    # The conversion cannot be undone (texts and sessions were merged): start empty.
    op.drop_table("visits")
    op.drop_table("visitor_days")
    op.drop_table("visit_sessions")
    op.drop_table("strings")
    op.create_table(
        "visits",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("browser", sa.Text(), nullable=False),
        sa.Column("referrer", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("zip_code", sa.Text(), nullable=True),
        sa.Column("region_name", sa.Text(), nullable=True),
        sa.Column("country_code", sa.Text(), nullable=True),
        sa.Column("country_name", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("screen_width", sa.Integer(), nullable=True),
        sa.Column("props", sa.Text(), nullable=True),
        sa.Column("location_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column(
            "location_attempts", sa.SmallInteger(), nullable=False, server_default=sa.text("0")
        ),
        sa.Column("visitor_id", sa.BigInteger(), nullable=True),
        sa.Column("browser_version", sa.Text(), nullable=True),
        sa.Column("os", sa.Text(), nullable=False, server_default=sa.text("'Unknown'")),
        sa.Column("device_type", sa.Text(), nullable=False, server_default=sa.text("'unknown'")),
        sa.Column("source", sa.Text(), nullable=False, server_default=sa.text("'Direct / None'")),
        sa.Column("source_category", sa.Text(), nullable=False, server_default=sa.text("'direct'")),
        sa.Column("referrer_domain", sa.Text(), nullable=True),
        sa.Column("utm_source", sa.Text(), nullable=True),
        sa.Column("utm_medium", sa.Text(), nullable=True),
        sa.Column("utm_campaign", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_visits"),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name="fk_visits_site_id_sites", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_visits_site_id_created_at", "visits", ["site_id", "created_at"])
    op.create_index(
        "ix_visits_ip_address_location_pending",
        "visits",
        ["ip_address"],
        sqlite_where=sa.text("location_pending"),
        postgresql_where=sa.text("location_pending"),
    )


_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _site_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["site_id"], ["sites.id"], name=f"fk_{table}_site_id_sites", ondelete="CASCADE"
    )


def _create_new_tables() -> None:
    op.create_table(
        "strings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_strings"),
        sa.UniqueConstraint("site_id", "digest", name="uq_strings_site_id_digest"),
        _site_key("strings"),
    )
    op.create_table(
        "visit_sessions",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("page_views", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("entry_page_id", sa.Integer(), nullable=False),
        sa.Column("exit_page_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("referrer_domain_id", sa.Integer(), nullable=True),
        sa.Column("utm_source_id", sa.Integer(), nullable=True),
        sa.Column("utm_medium_id", sa.Integer(), nullable=True),
        sa.Column("utm_campaign_id", sa.Integer(), nullable=True),
        sa.Column("browser_id", sa.Integer(), nullable=False),
        sa.Column("browser_version_id", sa.Integer(), nullable=True),
        sa.Column("os_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("screen_width", sa.Integer(), nullable=True),
        sa.Column("ip_address", sa.Text(), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("country_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("location_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column(
            "location_attempts", sa.SmallInteger(), nullable=False, server_default=sa.text("0")
        ),
        sa.PrimaryKeyConstraint("id", name="pk_visit_sessions"),
        _site_key("visit_sessions"),
    )
    op.create_index(
        "ix_visit_sessions_site_id_started_at", "visit_sessions", ["site_id", "started_at"]
    )
    op.create_index(
        "ix_visit_sessions_ip_address_location_pending",
        "visit_sessions",
        ["ip_address"],
        sqlite_where=sa.text("location_pending"),
        postgresql_where=sa.text("location_pending"),
    )
    op.create_table(
        "visitor_days",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "visitor_id", name="pk_visitor_days"),
        _site_key("visitor_days"),
        sqlite_with_rowid=False,
    )


def _create_hits_table() -> None:
    op.create_table(
        "visits",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("url_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("props_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("site_id", "at", "seq", name="pk_visits"),
        _site_key("visits"),
        sqlite_with_rowid=False,
    )


# -- converting the stored visits -----------------------------------------------------------

_old = sa.table(
    "visits_old",
    *(
        sa.column(name, sa.Text())
        for name in (
            "url",
            "event",
            "browser",
            "ip_address",
            "city",
            "zip_code",
            "region_name",
            "country_code",
            "country_name",
            "props",
            "browser_version",
            "os",
            "device_type",
            "source",
            "referrer_domain",
            "utm_source",
            "utm_medium",
            "utm_campaign",
        )
    ),
    sa.column("id", sa.BigInteger()),
    sa.column("site_id", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("latitude", sa.Float()),
    sa.column("longitude", sa.Float()),
    sa.column("screen_width", sa.Integer()),
    sa.column("visitor_id", sa.BigInteger()),
    sa.column("location_pending", sa.Boolean()),
    sa.column("location_attempts", sa.Integer()),
)
_strings = sa.table(
    "strings",
    sa.column("id", sa.Integer()),
    sa.column("site_id", sa.Integer()),
    sa.column("digest", sa.LargeBinary()),
    sa.column("value", sa.Text()),
)
_SESSION_COLUMNS = (
    "id",
    "site_id",
    "visitor_id",
    "started_at",
    "duration",
    "page_views",
    "events",
    "entry_page_id",
    "exit_page_id",
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
    "country_id",
    "region_id",
    "city_id",
    "location_pending",
    "location_attempts",
)
_TYPES: dict[str, Any] = {"ip_address": sa.Text(), "location_pending": sa.Boolean()}
_sessions = sa.table(
    "visit_sessions",
    *(sa.column(name, _TYPES.get(name, sa.BigInteger())) for name in _SESSION_COLUMNS),
)
_hits = sa.table(
    "visits",
    *(
        sa.column(name, sa.BigInteger())
        for name in (
            "site_id",
            "at",
            "seq",
            "session_id",
            "url_id",
            "page_id",
            "event_id",
            "props_id",
        )
    ),
)
_latest = sa.table(
    "visitor_days",
    *(sa.column(name, sa.BigInteger()) for name in ("site_id", "visitor_id", "day", "session_id")),
)
_EPOCH_DAY = date(1970, 1, 1)


class _Converter:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.string_ids: dict[tuple[int, str], int] = {}
        self.next_string = 1
        self.next_session = 1
        self.last_second = -1
        self.seq = 0

    def address(self, site: int, row: Any) -> dict[str, Any]:
        """A pending or whole address stays in the row; one already cut becomes a text."""
        from tracking_core.client_ip import network_of, parse_ip

        address = parse_ip(row.ip_address) if row.ip_address else None
        if address is None or row.location_pending or network_of(address) != row.ip_address:
            return {"ip_address": row.ip_address, "network_id": None}
        return {"ip_address": None, "network_id": self.text_id(site, row.ip_address)}

    def text_id(self, site: int, value: str | None) -> int | None:
        if value is None:
            return None
        key = (site, value)
        found = self.string_ids.get(key)
        if found is None:
            found = self.string_ids[key] = self.next_string
            self.next_string += 1
            digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16)
            self.connection.execute(
                sa.insert(_strings),
                {"id": found, "site_id": site, "digest": digest.digest(), "value": value},
            )
        return found

    def convert_day(self, site: int, day: int, rows: list[Any]) -> None:
        from tracking_core.entities import Location
        from tracking_core.reports.open_sessions import add_hit, start_session
        from tracking_core.reports.pages import page_path
        from tracking_core.reports.places import location_text, place_of

        sessions: list[dict[str, Any]] = []
        states: dict[int, tuple[Any, dict[str, Any]]] = {}
        hits: list[dict[str, Any]] = []
        for row in rows:
            at = _utc(row.created_at)
            page = page_path(row.url)
            is_view = row.event == "pageview"
            current = states.get(row.visitor_id) if row.visitor_id is not None else None
            if current is not None and current[0].continued_by(at):
                state = add_hit(current[0], at, page, is_page_view=is_view)
                session = current[1]
            else:
                state = start_session(row.visitor_id or 0, at, page, is_page_view=is_view)
                location = Location(
                    city=row.city,
                    zip_code=row.zip_code,
                    region_name=row.region_name,
                    country_code=row.country_code,
                    country_name=row.country_name,
                    latitude=row.latitude,
                    longitude=row.longitude,
                )
                place = place_of(None if location.is_empty() else location)
                session = {
                    "id": self.next_session,
                    "site_id": site,
                    "visitor_id": row.visitor_id,
                    "source_id": self.text_id(site, row.source),
                    "referrer_domain_id": self.text_id(site, row.referrer_domain),
                    "utm_source_id": self.text_id(site, row.utm_source),
                    "utm_medium_id": self.text_id(site, row.utm_medium),
                    "utm_campaign_id": self.text_id(site, row.utm_campaign),
                    "browser_id": self.text_id(site, row.browser),
                    "browser_version_id": self.text_id(site, row.browser_version),
                    "os_id": self.text_id(site, row.os),
                    "device_id": self.text_id(site, row.device_type),
                    "screen_width": row.screen_width,
                    **self.address(site, row),
                    "location_id": None
                    if location.is_empty()
                    else self.text_id(site, location_text(location)),
                    "country_id": self.text_id(site, place.country),
                    "region_id": self.text_id(site, place.region),
                    "city_id": self.text_id(site, place.city),
                    "location_pending": bool(row.location_pending),
                    "location_attempts": row.location_attempts or 0,
                }
                self.next_session += 1
                sessions.append(session)
            if row.visitor_id is not None:
                states[row.visitor_id] = (state, session)
            session["_state"] = state
            second = int(at.timestamp())
            self.seq = self.seq + 1 if second == self.last_second else 0
            self.last_second = second
            hits.append(
                {
                    "site_id": site,
                    "at": second,
                    "seq": self.seq,
                    "session_id": session["id"],
                    "url_id": self.text_id(site, row.url),
                    "page_id": self.text_id(site, page),
                    "event_id": None if is_view else self.text_id(site, row.event),
                    "props_id": self.text_id(site, _props(row.props)) if row.props else None,
                }
            )
        for session in sessions:
            state = session.pop("_state")
            session.update(
                started_at=int(state.started_at.timestamp()),
                duration=int((state.ended_at - state.started_at).total_seconds()),
                page_views=state.page_views,
                events=state.events,
                entry_page_id=self.text_id(site, state.entry_page),
                exit_page_id=self.text_id(site, state.exit_page),
            )
        if not sessions:
            return
        self.connection.execute(sa.insert(_sessions), sessions)
        self.connection.execute(sa.insert(_hits), hits)
        # Only the latest day's visitors can come back: the earlier days' are let go.
        self.connection.execute(sa.delete(_latest).where(_latest.c.site_id == site))
        if states:
            self.connection.execute(
                sa.insert(_latest),
                [
                    {"site_id": site, "visitor_id": visitor, "day": day, "session_id": s["id"]}
                    for visitor, (_, s) in states.items()
                ],
            )


def _convert(connection: sa.Connection) -> None:
    from zoneinfo import ZoneInfo

    zones = {
        row.id: ZoneInfo(row.timezone)
        for row in connection.execute(sa.text("SELECT id, timezone FROM sites"))
    }
    converter = _Converter(connection)
    for (site, day), rows in _days(connection, zones):
        converter.convert_day(site, day, rows)
    if connection.dialect.name == "postgresql":
        for table, column in (("strings", "id"), ("visit_sessions", "id")):
            connection.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "  # noqa: S608
                    f"(SELECT coalesce(max({column}), 0) + 1 FROM {table}), false)"
                )
            )


def _days(
    connection: sa.Connection, zones: dict[int, Any]
) -> Iterator[tuple[tuple[int, int], list[Any]]]:
    """The old rows, a site's local day at a time, in time order."""
    statement = (
        sa.select(_old)
        .order_by(_old.c.site_id, _old.c.created_at, _old.c.id)
        .execution_options(yield_per=2000)
    )
    current: tuple[int, int] | None = None
    rows: list[Any] = []
    result = connection.execute(statement)
    try:
        for row in result:
            local = _utc(row.created_at).astimezone(zones[row.site_id]).date()
            key = (row.site_id, (local - _EPOCH_DAY).days)
            if key != current and rows:
                assert current is not None
                yield current, rows
                rows = []
            current = key
            rows.append(row)
    finally:
        result.close()
    if rows and current is not None:
        yield current, rows


def _props(text: str) -> str:
    return json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
