"""The engine factory sets SQLite up for a web server: cascades, concurrency, no lost folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from adapters.sql.engine import make_engine


def test_a_sqlite_engine_creates_the_missing_folder_and_sets_its_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            pragmas = [
                connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
                for name in ("foreign_keys", "journal_mode", "synchronous", "busy_timeout")
            ]
    finally:
        engine.dispose()

    assert path.exists()
    # synchronous 2 is FULL: each commit syncs the write-ahead log, so a 204 survives a power
    # loss, not only the process's crash (1, NORMAL, syncs it at checkpoints only).
    assert pragmas == [1, "wal", 2, 5000]


def test_every_pooled_sqlite_connection_enforces_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tracking.db'}")
    try:
        with engine.connect() as first, engine.connect() as second:
            values = [c.execute(text("PRAGMA foreign_keys")).scalar_one() for c in (first, second)]
    finally:
        engine.dispose()

    assert values == [1, 1]


def test_a_plain_postgresql_url_is_given_the_installed_psycopg_driver() -> None:
    engine = make_engine("postgresql://user:secret@db.example:5432/tracking")
    try:
        assert engine.url.drivername == "postgresql+psycopg"
        assert engine.url.password == "secret"
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_commits_are_synchronous_even_where_the_database_turned_that_off(
    empty_postgres_url: str,
) -> None:
    """A 204 means on disk: the engine asks for ``synchronous_commit`` whatever the default;
    and the application's statements wait at most 5 s for a lock."""
    admin = make_engine(empty_postgres_url)
    try:
        with admin.connect() as connection:
            name = connection.execute(text("SELECT current_database()")).scalar_one()
            connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
            connection.commit()
    finally:
        admin.dispose()
    url = empty_postgres_url + "?options=-c%20statement_timeout%3D12345"

    assert _settings(make_engine(url)) == ["on", "12345ms", "5s"]
    # Migrations wait for their locks however long it takes.
    assert _settings(make_engine(url, lock_timeout=False)) == ["on", "12345ms", "0"]


def _settings(engine: Engine) -> list[str]:
    try:
        with engine.connect() as connection:
            return [
                connection.execute(text(f"SHOW {setting}")).scalar_one()
                for setting in ("synchronous_commit", "statement_timeout", "lock_timeout")
            ]
    finally:
        engine.dispose()
