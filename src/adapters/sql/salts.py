"""The daily salts of cookieless visitor ids, in the database so that every worker agrees."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine, Select, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from adapters.sql import tables
from adapters.sql.errors import port_errors


class SqlSaltStore:
    """``ports.SaltStore`` over the ``salts`` table.

    Two workers making the first salt of a day at once both insert; the primary key keeps the
    first, ``ON CONFLICT DO NOTHING`` drops the other, and both read back the one stored. A
    database that cannot be reached raises ``StorageUnavailable``.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, site_id: int, day: date) -> bytes | None:
        with port_errors(), self.engine.begin() as connection:
            salt = connection.execute(self._select(site_id, day)).scalar_one_or_none()
        return None if salt is None else bytes(salt)

    def add(self, site_id: int, day: date, salt: bytes, *, created_at: datetime) -> bytes:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(tables.salts)
            .values(site_id=site_id, day=day, salt=salt, created_at=created_at)
            .on_conflict_do_nothing(index_elements=["site_id", "day"])
        )
        with port_errors(), self.engine.begin() as connection:
            connection.execute(statement)
            stored = connection.execute(self._select(site_id, day)).scalar_one()
        return bytes(stored)

    def delete_created_before(self, cutoff: datetime) -> int:
        statement = delete(tables.salts).where(tables.salts.c.created_at < cutoff)
        with port_errors(), self.engine.begin() as connection:
            return connection.execute(statement).rowcount

    @staticmethod
    def _select(site_id: int, day: date) -> Select[bytes]:
        return select(tables.salts.c.salt).where(
            tables.salts.c.site_id == site_id, tables.salts.c.day == day
        )
