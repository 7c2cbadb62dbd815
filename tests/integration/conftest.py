"""Real databases for the SQL adapter: a SQLite file always, PostgreSQL when a server is given.

Each test gets a fresh, migrated database, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from adapters.sql.engine import make_engine
from adapters.sql.migrate import upgrade

POSTGRES_URL_VARIABLE = "TRACKING_TEST_POSTGRES_URL"


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    """A SQLite file that does not exist yet, in a folder that does not exist yet either."""
    return f"sqlite:///{tmp_path / 'data' / 'tracking.db'}"


@pytest.fixture
def sqlite_url(empty_sqlite_url: str) -> str:
    upgrade(empty_sqlite_url)
    return empty_sqlite_url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A new database on the server named by the environment, dropped after the test.

    The variable's URL is used only to create and drop: tests never touch its database.
    """
    server_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server_url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set: PostgreSQL tests skipped")
    name = f"tracking_test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(server_url)
    try:
        _run_outside_a_transaction(admin, f'CREATE DATABASE "{name}"')
        try:
            yield admin.url.set(database=name).render_as_string(hide_password=False)
        finally:
            _run_outside_a_transaction(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def _run_outside_a_transaction(engine: Engine, statement: str) -> None:
    """CREATE and DROP DATABASE refuse to run inside a transaction block."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text(statement))


@pytest.fixture
def postgres_url(empty_postgres_url: str) -> str:
    upgrade(empty_postgres_url)
    return empty_postgres_url


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database on each backend in turn, so every test runs on both."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest) -> str:
    """A database with no tables on each backend in turn, for the migration tests."""
    url: str = request.getfixturevalue(f"empty_{request.param}_url")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
