"""The database's failures, translated into the core's errors in one place."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from tracking_core.errors import StorageUnavailable, VisitsRefused


@contextlib.contextmanager
def port_errors() -> Iterator[None]:
    """Translate the driver's failures into the core's errors (nothing was stored either way)."""
    try:
        yield
    except (IntegrityError, DataError) as exc:
        raise VisitsRefused(first_line(exc), site_gone=_is_foreign_key_violation(exc)) from exc
    except OperationalError as exc:
        raise StorageUnavailable(f"the database is unavailable: {first_line(exc)}") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StorageUnavailable(f"lost the database: {first_line(exc)}") from exc
        raise


def first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().split("\n")[0][:200]


def _is_foreign_key_violation(exc: DBAPIError) -> bool:
    """SQLSTATE 23503 on PostgreSQL; SQLite names its constraint failures instead."""
    original = exc.orig
    return (
        getattr(original, "sqlstate", None) == "23503"
        or getattr(original, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_FOREIGNKEY"
    )
