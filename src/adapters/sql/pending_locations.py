"""Visits (sessions) whose location is still to be looked up, and settling it once known.

A location is a visit's, not a hit's: all of a visit's hits come from one address. Once the
location is found, known to be unknown, or given up on, the visit's address is cut to its
network unless its site keeps full addresses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, func, select, update

from adapters.sql import tables
from adapters.sql.strings import Key, StringIds
from adapters.sql.tallies import TallyBatch
from adapters.sql.visit_sessions import instant
from adapters.sql.visit_writer import day_number, lock_sites
from tracking_core.client_ip import network_of, parse_ip
from tracking_core.entities import Location
from tracking_core.reports.local_time import zone
from tracking_core.reports.places import location_text, place_of
from tracking_core.reports.tallies import place_changes


def ips_missing_location(connection: Connection, limit: int) -> list[str]:
    """Fewest failed attempts first, so a few stubborn addresses cannot starve new ones."""
    sessions = tables.visit_sessions
    statement = (
        select(sessions.c.ip_address)
        .where(sessions.c.location_pending, sessions.c.ip_address.is_not(None))
        .group_by(sessions.c.ip_address)
        .order_by(func.min(sessions.c.location_attempts))
        .limit(limit)
    )
    return [str(ip) for ip in connection.execute(statement).scalars()]


def settle_locations(
    connection: Connection, strings: StringIds, found: Mapping[str, Location | None]
) -> None:
    """Give the pending visits from each address their location (inside the ``strings``'
    transaction)."""
    pending = _pending(connection, list(found))
    if not pending:
        return
    keep_full, zones, closed = _settings(connection, {row["site_id"] for row in pending})
    tallies = TallyBatch()
    wanted: list[Key] = []
    for row in pending:
        location = found[row["ip_address"]]
        site = row["site_id"]
        if not keep_full[site]:
            wanted.append((site, network(row["ip_address"])))
        if location is not None:
            wanted.append((site, location_text(location)))
        day = day_number(instant(row["started_at"]).astimezone(zones[site]).date())
        for change in place_changes(location):
            tallies.add(site, day, row["visitor_id"], change)
    ids = strings.ids(connection, [*wanted, *tallies.texts()])
    changes = []
    for row in pending:
        site, ip = row["site_id"], row["ip_address"]
        location = found[ip]
        place = place_of(location)

        def id_of(value: str | None, site: int = site) -> int | None:
            return None if value is None else ids[site, value]

        changes.append(
            {
                "session_id": row["id"],
                "new_location_id": id_of(location_text(location)) if location else None,
                "new_country_id": id_of(place.country),
                "new_region_id": id_of(place.region),
                "new_city_id": id_of(place.city),
                "new_ip_address": ip if keep_full[site] else None,
                "new_network_id": None if keep_full[site] else id_of(network(ip)),
            }
        )
    sessions = tables.visit_sessions
    connection.execute(
        update(sessions)
        .where(sessions.c.id == bindparam("session_id"))
        .values(
            location_pending=False,
            **{
                name: bindparam(f"new_{name}")
                for name in (
                    "location_id",
                    "country_id",
                    "region_id",
                    "city_id",
                    "ip_address",
                    "network_id",
                )
            },
        ),
        changes,
    )
    tallies.write(connection, ids, closed)


def count_failures(
    connection: Connection, strings: StringIds, ips: Sequence[str], *, give_up_after: int
) -> None:
    """One more failed lookup for each address; visits that reach ``give_up_after`` stop
    pending, with no location, and their address is cut. Returns the text ids learnt."""
    pending = _pending(connection, list(ips))
    if not pending:
        return
    given_up = [row for row in pending if row["location_attempts"] + 1 >= give_up_after]
    settle_locations(connection, strings, {row["ip_address"]: None for row in given_up})
    sessions = tables.visit_sessions
    connection.execute(
        update(sessions)
        .where(sessions.c.id == bindparam("session_id"))
        .values(location_attempts=bindparam("new_attempts")),
        [
            {"session_id": row["id"], "new_attempts": row["location_attempts"] + 1}
            for row in pending
        ],
    )


def network(ip: str) -> str:
    """``ip`` cut to its network; text that is no address (junk) is kept as it is."""
    address = parse_ip(ip)
    return ip if address is None else network_of(address)


def _pending(connection: Connection, ips: list[str]) -> list[dict[str, Any]]:
    """The pending visits from ``ips``, once their sites' visits are ours to write."""
    lock_sites(connection, {row["site_id"] for row in _pending_unlocked(connection, ips)})
    return _pending_unlocked(connection, ips)


def _pending_unlocked(connection: Connection, ips: list[str]) -> list[dict[str, Any]]:
    sessions = tables.visit_sessions
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ips), 500):
        statement = select(
            sessions.c.id,
            sessions.c.site_id,
            sessions.c.visitor_id,
            sessions.c.started_at,
            sessions.c.ip_address,
            sessions.c.location_attempts,
        ).where(sessions.c.location_pending, sessions.c.ip_address.in_(ips[start : start + 500]))
        rows.extend(dict(row._mapping) for row in connection.execute(statement))
    return rows


def _settings(
    connection: Connection, site_ids: set[int]
) -> tuple[dict[int, bool], dict[int, ZoneInfo], dict[int, int | None]]:
    """Whether each site keeps full addresses, its time zone, and its last closed month."""
    sites = tables.sites
    rows = connection.execute(
        select(
            sites.c.id, sites.c.keep_full_ip, sites.c.timezone, sites.c.counts_closed_through
        ).where(sites.c.id.in_(site_ids))
    ).all()
    return (
        {row.id: bool(row.keep_full_ip) for row in rows},
        {row.id: zone(row.timezone) for row in rows},
        {row.id: row.counts_closed_through for row in rows},
    )
