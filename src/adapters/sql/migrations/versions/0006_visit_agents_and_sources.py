"""Visits keep what the reports need instead of the user agent: browser family and version,
system, device type, the visitor's id of the day, and where the visit came from.

Visits already stored are converted: their user agent is parsed (and then no longer kept),
those from known bots are deleted (and counted in ``bot_counts``, as the beacon now does),
their source is classified, and their address is cut to its network unless its location is
still pending. Their visitor ids are computed with a random salt per site and day that is
thrown away at once: visitors are counted as they would have been, and nobody can ever link
those ids to an address.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 2000
_NEW_TEXT_COLUMNS = ("referrer_domain", "utm_source", "utm_medium", "utm_campaign")


def upgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.add_column(sa.Column("visitor_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("browser_version", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("os", sa.Text(), nullable=False, server_default=sa.text("'Unknown'"))
        )
        batch.add_column(
            sa.Column("device_type", sa.Text(), nullable=False, server_default=sa.text("'unknown'"))
        )
        batch.add_column(
            sa.Column(
                "source", sa.Text(), nullable=False, server_default=sa.text("'Direct / None'")
            )
        )
        batch.add_column(
            sa.Column(
                "source_category", sa.Text(), nullable=False, server_default=sa.text("'direct'")
            )
        )
        for name in _NEW_TEXT_COLUMNS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=True))
    _convert_stored_visits(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        for name in reversed(_NEW_TEXT_COLUMNS):
            batch.drop_column(name)
        for name in ("source_category", "source", "device_type", "os", "browser_version"):
            batch.drop_column(name)
        batch.drop_column("visitor_id")


_visits = sa.table(
    "visits",
    sa.column("id", sa.BigInteger()),
    sa.column("site_id", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("url", sa.Text()),
    sa.column("browser", sa.Text()),
    sa.column("referrer", sa.Text()),
    sa.column("ip_address", sa.Text()),
    sa.column("screen_width", sa.Integer()),
    sa.column("location_pending", sa.Boolean()),
    sa.column("visitor_id", sa.BigInteger()),
    sa.column("browser_version", sa.Text()),
    sa.column("os", sa.Text()),
    sa.column("device_type", sa.Text()),
    sa.column("source", sa.Text()),
    sa.column("source_category", sa.Text()),
    *(sa.column(name, sa.Text()) for name in _NEW_TEXT_COLUMNS),
)
_sites = sa.table("sites", sa.column("id", sa.Integer()), sa.column("base_url", sa.Text()))
_bot_counts = sa.table(
    "bot_counts",
    sa.column("site_id", sa.Integer()),
    sa.column("day", sa.Date()),
    sa.column("bots", sa.BigInteger()),
)


def _convert_stored_visits(connection: sa.Connection) -> None:
    # Imported here, not at the top: only a database with visits needs the parser's rules.
    from urllib.parse import urlsplit

    from adapters.user_agents import UaParserUserAgentParser
    from tracking_core.client_ip import network_of, parse_ip
    from tracking_core.reports.agents import device_type
    from tracking_core.reports.sources import classify
    from tracking_core.reports.visitor_ids import SALT_BYTES, visitor_id
    from tracking_core.rules import clean_browser

    parser = UaParserUserAgentParser()
    hosts = {
        row.id: urlsplit(row.base_url).hostname for row in connection.execute(sa.select(_sites))
    }
    salts: dict[tuple[int, date], bytes] = {}
    bots: Counter[tuple[int, date]] = Counter()
    update = (
        sa.update(_visits)
        .where(_visits.c.id == sa.bindparam("visit_id"))
        .values(
            {
                name: sa.bindparam(f"new_{name}")
                for name in (
                    "browser",
                    "ip_address",
                    "visitor_id",
                    "browser_version",
                    "os",
                    "device_type",
                    "source",
                    "source_category",
                    *_NEW_TEXT_COLUMNS,
                )
            }
        )
    )
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(_visits).where(_visits.c.id > last_id).order_by(_visits.c.id).limit(_CHUNK)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        changes: list[dict[str, Any]] = []
        bot_ids: list[int] = []
        for row in rows:
            user_agent = clean_browser(row.browser or "")
            agent = parser.parse(user_agent)
            day = _utc(row.created_at).date()
            if agent.is_bot:
                bots[row.site_id, day] += 1
                bot_ids.append(row.id)
                continue
            salt = salts.setdefault((row.site_id, day), secrets.token_bytes(SALT_BYTES))
            address = parse_ip(row.ip_address) if row.ip_address else None
            source = classify(row.referrer, row.url, site_host=hosts.get(row.site_id))
            kept = row.ip_address
            if address is not None and not row.location_pending:
                kept = network_of(address)
            changes.append(
                {
                    "visit_id": row.id,
                    "new_browser": agent.browser,
                    "new_ip_address": kept,
                    "new_visitor_id": visitor_id(
                        salt, row.site_id, address or row.ip_address or "", user_agent
                    ),
                    "new_browser_version": agent.browser_version,
                    "new_os": agent.os,
                    "new_device_type": device_type(agent, row.screen_width).value,
                    "new_source": source.name,
                    "new_source_category": source.category.value,
                    "new_referrer_domain": source.referrer_domain,
                    "new_utm_source": source.utm_source,
                    "new_utm_medium": source.utm_medium,
                    "new_utm_campaign": source.utm_campaign,
                }
            )
        if changes:
            connection.execute(update, changes)
        if bot_ids:
            connection.execute(sa.delete(_visits).where(_visits.c.id.in_(bot_ids)))
    if bots:
        connection.execute(
            sa.insert(_bot_counts),
            [{"site_id": site, "day": day, "bots": n} for (site, day), n in bots.items()],
        )
    salts.clear()  # the point: these salts are never stored anywhere


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
