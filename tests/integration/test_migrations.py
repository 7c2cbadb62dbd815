"""The hand-written migrations build exactly the schema that ``tables.py`` describes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from adapters.sql import (
    SqlSessionRepository,
    SqlSiteRepository,
    SqlUserRepository,
    SqlVisitRepository,
)
from adapters.sql.engine import make_engine
from adapters.sql.migrate import alembic_config, upgrade
from adapters.sql.tables import metadata
from tracking_core.entities import Visit

T0 = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
TABLES = {
    "users",
    "sessions",
    "sites",
    "visits",
    "salts",
    "bot_counts",
    "strings",
    "visit_sessions",
    "visitor_days",
    "daily_counts",
    "monthly_counts",
    "visitor_values",
}


@pytest.fixture
def empty_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))


def head_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_migrating_an_empty_database_to_head_matches_the_tables_module(
    empty_database_url: str, empty_engine: Engine
) -> None:
    upgrade(empty_database_url)

    assert set(inspect(empty_engine).get_table_names()) >= TABLES
    assert schema_differences(empty_engine) == []


def test_migrating_a_database_already_at_head_changes_nothing(
    empty_database_url: str, empty_engine: Engine
) -> None:
    upgrade(empty_database_url)
    revision = head_revision(empty_engine)

    upgrade(empty_database_url)

    assert (
        revision
        == ScriptDirectory.from_config(alembic_config(empty_database_url)).get_current_head()
    )
    assert head_revision(empty_engine) == revision
    assert schema_differences(empty_engine) == []


def test_downgrading_to_base_removes_every_table(
    empty_database_url: str, empty_engine: Engine
) -> None:
    upgrade(empty_database_url)

    command.downgrade(alembic_config(empty_database_url), "base")

    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    assert head_revision(empty_engine) is None


def test_a_sqlite_path_with_a_percent_sign_migrates(tmp_path: Path) -> None:
    """Alembic's config is a ConfigParser, which would read "%" as interpolation."""
    url = f"sqlite:///{tmp_path / '100% real' / 'tracking.db'}"

    upgrade(url)

    engine = make_engine(url)
    try:
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_sqlite_tables_rebuilt_for_ids_never_given_twice_keep_every_row(tmp_path: Path) -> None:
    """Revision 0010 rebuilds ``users`` and ``sites``: dropping the old tables must not take
    the rows that refer to them along (their foreign keys cascade on delete)."""
    url = f"sqlite:///{tmp_path / 'tracking.db'}"
    command.upgrade(alembic_config(url), "0009")
    engine = make_engine(url)
    try:
        users, sites = SqlUserRepository(engine), SqlSiteRepository(engine)
        owners = [
            users.add(email=f"{n}@example.com", name="A", password_hash="h", created_at=T0)
            for n in range(2)
        ]
        kept = [
            sites.add(owner_id=o.id, base_url="https://a.example", created_at=T0) for o in owners
        ]
        SqlSessionRepository(engine).add(token_hash="t", user_id=owners[1].id, created_at=T0)
        SqlVisitRepository(engine).add_many(
            [
                Visit(
                    site_id=site.id,
                    created_at=T0,
                    url="https://a.example/",
                    event="pageview",
                    browser="Firefox",
                )
                for site in kept
            ]
        )
        before = row_counts(engine)
        engine.dispose()

        upgrade(url)

        assert row_counts(engine) == before
        assert schema_differences(engine) == []
        users.delete(owners[1].id)
        newcomer = users.add(email="new@example.com", name="B", password_hash="h", created_at=T0)
        new_site = sites.add(owner_id=newcomer.id, base_url="https://b.example", created_at=T0)
        assert newcomer.id not in {o.id for o in owners}
        assert new_site.id not in {s.id for s in kept}
    finally:
        engine.dispose()


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            for table in sorted(TABLES)
        }
