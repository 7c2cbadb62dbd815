"""Running the writer's hot statements on the driver's own cursor.

The beacon's writer runs a handful of statements per batch over thousands of rows; through
SQLAlchemy's ``Connection`` each row's parameters and each fetched row cost several
microseconds of Python, more than the database's own work. These statements are fixed SQL
with positional parameters, so they go to the DB-API cursor directly, inside the same
transaction, and the driver's errors are wrapped as SQLAlchemy would wrap them (so
``errors.port_errors`` still translates them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


def mark(connection: Connection) -> str:
    """The driver's positional parameter mark: ``%s`` for psycopg, ``?`` for sqlite3."""
    return "%s" if connection.dialect.name == "postgresql" else "?"


def execute(
    connection: Connection, statement: str, parameters: Sequence[Any] = ()
) -> list[tuple[Any, ...]]:
    """Run ``statement`` once; its rows, if it returns any."""
    cursor = _cursor(connection)
    dbapi = connection.dialect.loaded_dbapi
    try:
        cursor.execute(statement, parameters)
        return list(cursor.fetchall()) if cursor.description else []
    except dbapi.Error as error:
        raise DBAPIError.instance(statement, parameters, error, dbapi.Error) from error
    finally:
        cursor.close()


def execute_many(connection: Connection, statement: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run ``statement`` once per row of ``rows``."""
    if not rows:
        return
    cursor = _cursor(connection)
    dbapi = connection.dialect.loaded_dbapi
    try:
        cursor.executemany(statement, rows)
    except dbapi.Error as error:
        raise DBAPIError.instance(statement, rows[0], error, dbapi.Error) from error
    finally:
        cursor.close()


def _cursor(connection: Connection) -> Any:
    driver = connection.connection.driver_connection
    if driver is None:  # pragma: no cover - a checked-out connection always has one
        raise RuntimeError("no database connection")
    return driver.cursor()


def unnest(rows: Sequence[Sequence[Any]], types: Sequence[str]) -> tuple[str, list[list[Any]]]:
    """PostgreSQL: ``rows`` as one ``unnest`` of an array per column, for a statement that
    writes them all in one round trip (``executemany`` would send them one by one).

    Returns the ``unnest(...)`` expression and its parameters, a list per column. The
    arrays travel in binary (``%b``): psycopg writes the text form of an array in Python,
    testing every element for characters to quote, which cost 7% of the writer's time.
    """
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in types]
    expression = "unnest(" + ", ".join(f"%b::{kind}[]" for kind in types) + ")"
    return expression, columns
