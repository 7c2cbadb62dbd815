"""Inserting a batch of rows fast, because the beacon's group commit writes thousands a second.

SQLAlchemy's ``executemany`` spends about 20 µs of Python per row and, on SQLite, releases and
retakes the GIL for every row: a writer thread competing with a busy event loop then waits up
to the GIL's switch interval (5 ms) per row. So rows become plain tuples once (with the column
types' own bind processors, so values are stored exactly as SQLAlchemy would store them), then:

- SQLite: one multi-row ``INSERT ... VALUES (...), (...)`` per chunk: one step per chunk;
- PostgreSQL (psycopg 3): ``COPY ... FROM STDIN``, the fastest bulk path it has.

Either runs inside the caller's transaction, so a refused row still refuses the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.exc import DBAPIError

from adapters.sql import driver

#: Rows per SQLite statement: well under its limit of 32,766 bound variables.
SQLITE_ROWS_PER_STATEMENT = 500


class BulkInsert:
    """Rows of ``columns`` into ``table``, in the caller's transaction."""

    def __init__(self, dialect: Dialect, table: Table, columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self.dialect_name = dialect.name
        processors = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self.columns
        ]
        #: Positions and processors of the columns whose values need converting.
        self._processors: list[tuple[int, Callable[[Any], Any]]] = [
            (index, processor) for index, processor in enumerate(processors) if processor
        ]
        names = ", ".join(self.columns)
        self._copy_sql = f"COPY {table.name} ({names}) FROM STDIN"
        self._insert_head = f"INSERT INTO {table.name} ({names}) VALUES "  # noqa: S608 - constants
        self._row_marks = "(" + ", ".join("?" for _ in self.columns) + ")"

    def rows(self, values: Sequence[Sequence[object]]) -> Sequence[Sequence[object]]:
        """Rows with each value converted as the column's SQLAlchemy type would bind it."""
        if not self._processors:
            return values
        converted = []
        for row in values:
            row = list(row)
            for index, processor in self._processors:
                row[index] = processor(row[index])
            converted.append(row)
        return converted

    def run(self, connection: Connection, rows: Sequence[Sequence[object]]) -> None:
        if self.dialect_name == "postgresql":
            self._copy(connection, rows)
        elif self.dialect_name == "sqlite":
            self._multi_row_insert(connection, rows)
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise NotImplementedError(self.dialect_name)

    def _copy(self, connection: Connection, rows: Sequence[Sequence[object]]) -> None:
        driver = connection.connection.driver_connection
        if driver is None:  # pragma: no cover - a checked-out connection always has one
            raise RuntimeError("no database connection")
        dbapi = connection.dialect.loaded_dbapi
        try:
            with driver.cursor() as cursor, cursor.copy(self._copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except dbapi.Error as error:
            # Raised by the driver itself, not through SQLAlchemy: wrap it as SQLAlchemy would.
            raise DBAPIError.instance(self._copy_sql, None, error, dbapi.Error) from error

    def _multi_row_insert(self, connection: Connection, rows: Sequence[Sequence[object]]) -> None:
        step = SQLITE_ROWS_PER_STATEMENT
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            statement = self._insert_head + ", ".join([self._row_marks] * len(chunk))
            flat = [value for row in chunk for value in row]
            driver.execute(connection, statement, flat)
