"""The core's repository ports over SQLAlchemy Core; each method is one short transaction.

Rows are translated to the core's entities here, explicitly, so no SQLAlchemy object leaves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.sql import pending_locations, tables
from adapters.sql.engine import make_engine
from adapters.sql.errors import port_errors
from adapters.sql.strings import StringIds
from adapters.sql.tally_rebuild import rebuild_counts
from adapters.sql.upsert import add_counts
from adapters.sql.visit_reader import count_visits, page_of_visits
from adapters.sql.visit_sessions import forget_visitors_before
from adapters.sql.visit_writer import VisitWriter, day_number, lock_sites
from tracking_core.entities import Location, Site, User, Visit
from tracking_core.errors import EmailTaken


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
        self._strings = StringIds()

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
        """A new time zone moves where the site's days begin: its counts per day and month
        are counted again from its visits, in the same transaction."""
        statement = (
            update(tables.sites)
            .where(tables.sites.c.id == site.id)
            .values(
                timezone=site.timezone,
                honour_dnt=site.honour_dnt,
                keep_full_ip=site.keep_full_ip,
            )
        )
        strings = self._strings
        with strings.transaction(), port_errors(), self.engine.connect() as connection:
            lock_sites(connection, [site.id])
            before = connection.execute(
                select(tables.sites.c.timezone).where(tables.sites.c.id == site.id)
            ).scalar()
            connection.execute(statement)
            if before is not None and before != site.timezone:
                rebuild_counts(connection, strings, site.id)
            connection.commit()


def visits_at(database_url: str) -> SqlVisitRepository:
    """Visits over an engine of their own: what a writer process stores its batches with.

    Its connections are not pinged before each batch: a batch that finds its connection
    lost has stored nothing, and the group commit writes it again on a new one.
    """
    return SqlVisitRepository(make_engine(database_url, pre_ping=False))


class SqlVisitRepository:
    """Visits (hits) in their visits (sessions), with their texts stored once per site: see
    ``visit_writer`` for how a batch is stored, ``visit_reader`` for how it reads back (what
    a visit's hits share is its session's), and ``pending_locations``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = VisitWriter(engine)
        # Its own cache: the location resolver's thread writes beside the beacon's writer.
        self._location_strings = StringIds()

    def add_many(self, visits: Sequence[Visit]) -> None:
        """One transaction for the whole batch: a row the database refuses stores none.

        The database's errors become the port's: a refused row ``VisitsRefused``, a database
        that cannot be reached or is locked ``StorageUnavailable``.
        """
        if visits:
            self._writer.write(visits)

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

    def forget_visitors_before(self, day: date) -> None:
        with port_errors(), self.engine.begin() as connection:
            forget_visitors_before(connection, day_number(day))

    def ips_missing_location(self, limit: int) -> list[str]:
        with port_errors(), self.engine.begin() as connection:
            return pending_locations.ips_missing_location(connection, limit)

    def set_locations(self, found: Mapping[str, Location | None]) -> None:
        if not found:
            return
        strings = self._location_strings
        with strings.transaction(), port_errors(), self.engine.connect() as connection:
            pending_locations.settle_locations(connection, strings, found)
            connection.commit()

    def location_lookup_failed(self, ips: Sequence[str], *, give_up_after: int) -> None:
        if not ips:
            return
        strings = self._location_strings
        with strings.transaction(), port_errors(), self.engine.connect() as connection:
            pending_locations.count_failures(connection, strings, ips, give_up_after=give_up_after)
            connection.commit()

    def list_for_site(self, site_id: int, *, offset: int, limit: int) -> list[Visit]:
        """Newest first; visits from the same second list the later arrival first."""
        with self.engine.begin() as connection:
            return page_of_visits(connection, site_id, offset=offset, limit=limit)

    def count_for_site(self, site_id: int) -> int:
        with self.engine.begin() as connection:
            return count_visits(connection, site_id)


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
