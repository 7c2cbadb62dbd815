"""Alembic's entry point: runs migrations on the URL that ``adapters.sql.migrate`` passed in.

It reads no environment variables and no ini file: settings are read once, at the edge.
"""

from __future__ import annotations

from alembic import context

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
    """SQLite cannot ALTER most things, so it gets batch mode (copy, then swap the table)."""
    engine = make_engine(_database_url())
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
