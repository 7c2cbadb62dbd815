"""Building the one engine the application uses, with the settings each backend needs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry

from tracking_core.errors import StorageUnavailable

#: Seconds to wait for a PostgreSQL server to accept a connection, so an unreachable one fails
#: (and the beacon answers 503) instead of hanging.
CONNECT_TIMEOUT = 5
#: How long a statement may wait for a lock before it fails, on both backends: SQLite's busy
#: timeout, and PostgreSQL's ``lock_timeout`` for the application's connections (not the
#: migrations'). A batch blocked by a lock held elsewhere (an administrator's ``LOCK TABLE``,
#: a stuck transaction) then fails and is retried, and its visits are answered 503 once their
#: wait is over, instead of every request of the batch hanging for as long as the lock.
LOCK_TIMEOUT_MS = 5000

#: Applied to every new SQLite connection: these settings do not persist in the file.
#: ``synchronous=FULL``: a 204 means the visit is on disk. With write-ahead logging,
#: ``NORMAL`` syncs the log only at checkpoints, so a commit survives the process's crash but
#: not the machine's (power loss, kernel panic); ``FULL`` syncs it at every commit, once per
#: group-commit batch.
SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    f"PRAGMA busy_timeout={LOCK_TIMEOUT_MS}",
)


def make_engine(url: str, *, pre_ping: bool = True, lock_timeout: bool = True) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``).

    SQLite gets its folder created and, on every connection, enforced foreign keys (so deletes
    cascade), write-ahead logging (readers do not block the writer) and a busy timeout.
    ``pre_ping`` tests each connection as it leaves the pool: one more round trip per
    transaction, which a caller that retries a transaction on a lost connection can spare.
    ``lock_timeout=False`` lets PostgreSQL statements wait for locks as long as they must
    (migrations: better late than failed halfway).
    """
    parsed = _with_psycopg(make_url(url))
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            parsed,
            pool_pre_ping=pre_ping,
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT,
                "options": _options(parsed, lock_timeout=lock_timeout),
            },
        )
    _create_parent_folder(parsed)
    engine = create_engine(parsed, pool_pre_ping=pre_ping)
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def _options(url: URL, *, lock_timeout: bool) -> str:
    """The URL's own ``options``, then ``synchronous_commit=on``: a 204 means the visit is on
    disk, whatever the server's or the database's default (an operator may have turned it
    off for speed, which lets a crash of PostgreSQL take back the last commits); and the
    lock timeout."""
    given = url.query.get("options", "")
    own = given if isinstance(given, str) else " ".join(given)
    ours = " -c synchronous_commit=on"
    if lock_timeout:
        ours += f" -c lock_timeout={LOCK_TIMEOUT_MS}"
    return f"{own}{ours}".strip()


def _with_psycopg(url: URL) -> URL:
    """Plain ``postgresql://`` would ask for psycopg2; psycopg 3 is the driver installed."""
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _create_parent_folder(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).parent.mkdir(parents=True, exist_ok=True)


def _set_sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def ping(engine: Engine) -> None:
    """Raise ``StorageUnavailable`` unless the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise StorageUnavailable(f"the database is unreachable: {type(exc.orig).__name__}") from exc
