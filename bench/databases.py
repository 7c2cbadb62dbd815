"""Fresh databases for each product run, with one site to send beacons to."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text

from adapters.sql.engine import make_engine
from adapters.sql.migrate import upgrade
from adapters.sql.repositories import SqlSiteRepository, SqlUserRepository


@contextlib.contextmanager
def fresh_sqlite(folder: Path) -> Iterator[str]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bench-{uuid.uuid4().hex[:8]}.db"
    try:
        yield _prepared(f"sqlite:///{path}")
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextlib.contextmanager
def fresh_postgres(server_url: str) -> Iterator[str]:
    with empty_postgres(server_url) as url:
        yield _prepared(url)


@contextlib.contextmanager
def empty_postgres(server_url: str) -> Iterator[str]:
    """A new database on the server, with no tables, dropped afterwards."""
    name = f"tracking_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url)
    try:
        _autocommit(admin, f'CREATE DATABASE "{name}"')
        try:
            yield admin.url.set(database=name).render_as_string(hide_password=False)
        finally:
            _autocommit(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def migrate(database_url: str) -> None:
    upgrade(database_url)


def count_visits(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM visits")).scalar_one())
    finally:
        engine.dispose()


def _prepared(database_url: str) -> str:
    """Migrated, with a user and site 1."""
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        now = datetime.now(UTC)
        users, sites = SqlUserRepository(engine), SqlSiteRepository(engine)
        owner = users.add(
            email="bench@example.com",
            name="Bench",
            password_hash="-",  # noqa: S106 - nobody logs in
            created_at=now,
        )
        site = sites.add(owner_id=owner.id, base_url="https://example.com", created_at=now)
        if site.id != 1:
            raise RuntimeError(f"expected site 1, got {site.id}")
    finally:
        engine.dispose()
    return database_url


def _autocommit(engine: Engine, statement: str) -> None:
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text(statement))
