"""The core's repository ports over SQLAlchemy Core; each method is one short transaction.

Rows are translated to the core's entities here, explicitly, so no SQLAlchemy object leaves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs
from sqlalchemy import (
    ColumnElement,
    Engine,
    Row,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from adapters.sql import tables
from adapters.sql.bulk_insert import BulkVisitInsert
from adapters.sql.errors import port_errors
from adapters.sql.upsert import add_counts
from tracking_core.client_ip import network_of, parse_ip
from tracking_core.entities import Location, Site, User, Visit
from tracking_core.errors import EmailTaken
from tracking_core.reports.agents import DeviceType
from tracking_core.reports.sources import Category, Source

#: The visits table spells out a location in columns named after ``Location``'s fields.
_LOCATION_COLUMNS = tuple(field.name for field in attrs.fields(Location))


class SqlUserRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, *, email: str, name: str, password_hash: str, created_at: datetime) -> User:
        """Store a new user; the unique index, not a prior lookup, decides whether it is taken."""
        statement = (
            insert(tables.users)
            .values(email=email, name=name, password_hash=password_hash, created_at=created_at)
            .returning(*tables.users.c)
        )
        try:
            with self.engine.begin() as connection:
                row = connection.execute(statement).one()
        except IntegrityError as exc:
            if _is_unique_violation(exc):
                raise EmailTaken() from exc
            raise
        return _user(row)

    def get(self, user_id: int) -> User | None:
        return self._one_or_none(tables.users.c.id == user_id)

    def get_by_email(self, email: str) -> User | None:
        return self._one_or_none(tables.users.c.email == email)

    def update(self, user: User) -> None:
        statement = (
            update(tables.users)
            .where(tables.users.c.id == user.id)
            .values(name=user.name, password_hash=user.password_hash)
        )
        with self.engine.begin() as connection:
            connection.execute(statement)

    def delete(self, user_id: int) -> None:
        """Sites, their visits and sessions go too, by ``ON DELETE CASCADE``."""
        with self.engine.begin() as connection:
            connection.execute(delete(tables.users).where(tables.users.c.id == user_id))

    def _one_or_none(self, condition: ColumnElement[bool]) -> User | None:
        with self.engine.begin() as connection:
            row = connection.execute(select(tables.users).where(condition)).one_or_none()
        return None if row is None else _user(row)


class SqlSessionRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, *, token_hash: str, user_id: int, created_at: datetime) -> None:
        statement = insert(tables.sessions).values(
            token_hash=token_hash, user_id=user_id, created_at=created_at
        )
        with self.engine.begin() as connection:
            connection.execute(statement)

    def user_id_for(self, token_hash: str) -> int | None:
        statement = select(tables.sessions.c.user_id).where(
            tables.sessions.c.token_hash == token_hash
        )
        with self.engine.begin() as connection:
            user_id = connection.execute(statement).scalar_one_or_none()
        return None if user_id is None else int(user_id)

    def delete(self, token_hash: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(tables.sessions).where(tables.sessions.c.token_hash == token_hash)
            )

    def delete_for_user(self, user_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(tables.sessions).where(tables.sessions.c.user_id == user_id))


class SqlSiteRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, *, owner_id: int, base_url: str, created_at: datetime) -> Site:
        statement = (
            insert(tables.sites)
            .values(owner_id=owner_id, base_url=base_url, created_at=created_at)
            .returning(*tables.sites.c)
        )
        with self.engine.begin() as connection:
            row = connection.execute(statement).one()
        return _site(row)

    def get(self, site_id: int) -> Site | None:
        with port_errors(), self.engine.begin() as connection:
            row = connection.execute(
                select(tables.sites).where(tables.sites.c.id == site_id)
            ).one_or_none()
        return None if row is None else _site(row)

    def list_for_owner(self, owner_id: int) -> list[Site]:
        """Oldest first, by id as in the in-memory fake: ids grow in the order sites are added."""
        statement = (
            select(tables.sites)
            .where(tables.sites.c.owner_id == owner_id)
            .order_by(tables.sites.c.id)
        )
        with self.engine.begin() as connection:
            return [_site(row) for row in connection.execute(statement)]

    def update_settings(self, site: Site) -> None:
        statement = (
            update(tables.sites)
            .where(tables.sites.c.id == site.id)
            .values(
                timezone=site.timezone,
                honour_dnt=site.honour_dnt,
                keep_full_ip=site.keep_full_ip,
            )
        )
        with self.engine.begin() as connection:
            connection.execute(statement)


class SqlVisitRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._bulk = BulkVisitInsert(engine.dialect, _VISIT_COLUMNS)

    def add_many(self, visits: Sequence[Visit]) -> None:
        """One transaction for the whole batch: a row the database refuses stores none.

        The database's errors become the port's: a refused row ``VisitsRefused``, a database
        that cannot be reached or is locked ``StorageUnavailable``.
        """
        if not visits:
            return
        rows = self._bulk.rows([_visit_row(visit) for visit in visits])
        with port_errors(), self.engine.begin() as connection:
            self._bulk.run(connection, rows)

    def count_bots(self, counts: Mapping[tuple[int, date], int]) -> None:
        """Counts for sites deleted meanwhile are dropped rather than refused."""
        if not counts:
            return
        with port_errors(), self.engine.begin() as connection:
            existing = set(
                connection.execute(
                    select(tables.sites.c.id).where(
                        tables.sites.c.id.in_({site_id for site_id, _ in counts})
                    )
                ).scalars()
            )
            add_counts(
                connection,
                tables.bot_counts,
                [
                    {"site_id": site_id, "day": day, "bots": count}
                    for (site_id, day), count in counts.items()
                    if site_id in existing
                ],
                keys=("site_id", "day"),
                counts=("bots",),
            )

    def ips_missing_location(self, limit: int) -> list[str]:
        """Fewest failed attempts first, so a few stubborn addresses cannot starve new ones."""
        visits = tables.visits
        statement = (
            select(visits.c.ip_address)
            .where(visits.c.location_pending, visits.c.ip_address.is_not(None))
            .group_by(visits.c.ip_address)
            .order_by(func.min(visits.c.location_attempts))
            .limit(limit)
        )
        with port_errors(), self.engine.begin() as connection:
            return [str(ip) for ip in connection.execute(statement).scalars()]

    def set_locations(self, found: Mapping[str, Location | None]) -> None:
        if not found:
            return
        visits = tables.visits
        statement = (
            update(visits)
            .where(visits.c.ip_address == bindparam("ip"), visits.c.location_pending)
            .values(
                location_pending=False,
                ip_address=_kept_address(),
                **{name: bindparam(f"new_{name}") for name in _LOCATION_COLUMNS},
            )
        )
        rows = [
            {
                "ip": ip,
                "network": _network(ip),
                **{
                    f"new_{name}": getattr(location or Location(), name)
                    for name in _LOCATION_COLUMNS
                },
            }
            for ip, location in found.items()
        ]
        with port_errors(), self.engine.begin() as connection:
            connection.execute(statement, rows)

    def location_lookup_failed(self, ips: Sequence[str], *, give_up_after: int) -> None:
        if not ips:
            return
        visits = tables.visits
        statement = (
            update(visits)
            .where(visits.c.ip_address == bindparam("ip"), visits.c.location_pending)
            .values(
                location_attempts=visits.c.location_attempts + 1,
                location_pending=visits.c.location_attempts + 1 < give_up_after,
                ip_address=case(
                    (visits.c.location_attempts + 1 < give_up_after, visits.c.ip_address),
                    else_=_kept_address(),
                ),
            )
        )
        rows = [{"ip": ip, "network": _network(ip)} for ip in ips]
        with port_errors(), self.engine.begin() as connection:
            connection.execute(statement, rows)

    def list_for_site(self, site_id: int, *, offset: int, limit: int) -> list[Visit]:
        """Newest first; visits from the same instant list the later arrival first."""
        statement = (
            select(tables.visits)
            .where(tables.visits.c.site_id == site_id)
            .order_by(tables.visits.c.created_at.desc(), tables.visits.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        with self.engine.begin() as connection:
            return [_visit(row) for row in connection.execute(statement)]

    def count_for_site(self, site_id: int) -> int:
        statement = (
            select(func.count())
            .select_from(tables.visits)
            .where(tables.visits.c.site_id == site_id)
        )
        with self.engine.begin() as connection:
            return int(connection.execute(statement).scalar_one())


def _kept_address() -> ColumnElement[str]:
    """The address a visit keeps once its location is settled: the ``network`` parameter,
    unless the visit's site keeps full addresses."""
    keeps_full = (
        select(tables.sites.c.keep_full_ip)
        .where(tables.sites.c.id == tables.visits.c.site_id)
        .scalar_subquery()
    )
    return case((keeps_full, tables.visits.c.ip_address), else_=bindparam("network"))


def _network(ip: str) -> str:
    """``ip`` cut to its network; text that is no address (junk) is kept as it is."""
    address = parse_ip(ip)
    return ip if address is None else network_of(address)


def _is_unique_violation(exc: IntegrityError) -> bool:
    """SQLSTATE 23505 on PostgreSQL; SQLite names its constraint failures instead."""
    original = exc.orig
    return (
        getattr(original, "sqlstate", None) == "23505"
        or getattr(original, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_UNIQUE"
    )


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        email=row.email,
        name=row.name,
        password_hash=row.password_hash,
        created_at=row.created_at,
    )


def _site(row: Row[Any]) -> Site:
    return Site(
        id=row.id,
        owner_id=row.owner_id,
        base_url=row.base_url,
        created_at=row.created_at,
        timezone=row.timezone,
        honour_dnt=row.honour_dnt,
        keep_full_ip=row.keep_full_ip,
    )


#: The visits table's columns that ``_visit_row`` fills, in its order.
_VISIT_COLUMNS = (
    "site_id",
    "created_at",
    "url",
    "event",
    "browser",
    "referrer",
    "ip_address",
    *_LOCATION_COLUMNS,
    "screen_width",
    "props",
    "location_pending",
    "visitor_id",
    "browser_version",
    "os",
    "device_type",
    "source",
    "source_category",
    "referrer_domain",
    "utm_source",
    "utm_medium",
    "utm_campaign",
)


def _visit_row(visit: Visit) -> tuple[object, ...]:
    location = visit.location or _NOWHERE
    return (
        visit.site_id,
        visit.created_at,
        visit.url,
        visit.event,
        visit.browser,
        visit.referrer,
        visit.ip_address,
        location.city,
        location.zip_code,
        location.region_name,
        location.country_code,
        location.country_name,
        location.latitude,
        location.longitude,
        visit.screen_width,
        json.dumps(visit.props, ensure_ascii=False) if visit.props else None,
        visit.location_pending,
        visit.visitor_id,
        visit.browser_version,
        visit.os,
        visit.device_type.value,
        visit.source.name,
        visit.source.category.value,
        visit.source.referrer_domain,
        visit.source.utm_source,
        visit.source.utm_medium,
        visit.source.utm_campaign,
    )


_NOWHERE = Location()


def _visit(row: Row[Any]) -> Visit:
    """A row whose location columns are all null had no known location."""
    location = Location(**{name: row._mapping[name] for name in _LOCATION_COLUMNS})
    return Visit(
        site_id=row.site_id,
        created_at=row.created_at,
        url=row.url,
        event=row.event,
        browser=row.browser,
        referrer=row.referrer,
        ip_address=row.ip_address,
        location=None if location.is_empty() else location,
        screen_width=row.screen_width,
        props=json.loads(row.props) if row.props else {},
        location_pending=row.location_pending,
        visitor_id=row.visitor_id,
        browser_version=row.browser_version,
        os=row.os,
        device_type=DeviceType(row.device_type),
        source=Source(
            row.source,
            Category(row.source_category),
            row.referrer_domain,
            row.utm_source,
            row.utm_medium,
            row.utm_campaign,
        ),
    )
