"""Adding to counters that may not exist yet: one ``INSERT ... ON CONFLICT DO UPDATE``.

Both backends spell it the same way (``excluded`` is the row that was refused), so counts from
concurrent writers add up instead of overwriting each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def add_counts(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    counts: Sequence[str],
) -> None:
    """Insert ``rows``; where a row with the same ``keys`` exists, add to its ``counts``.

    ``rows`` must not repeat a key: PostgreSQL refuses to update one row twice in a statement.
    """
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in counts},
    )
    connection.execute(statement, list(rows))
