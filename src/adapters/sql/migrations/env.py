"""Alembic's entry point: runs migrations on the URL that ``adapters.sql.migrate`` passed in.

It reads no environment variables and no ini file: settings are read once, at the edge.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from adapters.sql.engine import make_engine
from adapters.sql.tables import metadata


def _database_url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set: run migrations via adapters.sql.migrate")
    return url


def run_offline() -> None:
    """Emit the SQL instead of running it (``alembic upgrade --sql``)."""
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """SQLite cannot ALTER most things, so it gets batch mode (copy, then swap the table).

    Swapping drops the old table, which with foreign keys on deletes every row referring to
    it (``ON DELETE CASCADE``): so they are off while SQLite migrates (the setting only
    takes effect outside a transaction), and every reference is checked before the commit.
    """
    engine = make_engine(_database_url(), lock_timeout=False)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=sqlite,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _check_foreign_keys(connection)
    finally:
        engine.dispose()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left rows referring to nothing: {broken[:5]}")


if context.is_offline_mode():
    run_offline()
else:
    run_online()
