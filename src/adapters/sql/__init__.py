"""SQL adapters: SQLAlchemy Core repositories for SQLite and PostgreSQL, and their migrations
(``adapters.sql.migrate``: Alembic is imported only by what migrates)."""

from adapters.sql.engine import make_engine
from adapters.sql.repositories import (
    SqlSessionRepository,
    SqlSiteRepository,
    SqlUserRepository,
    SqlVisitRepository,
)

__all__ = [
    "SqlSessionRepository",
    "SqlSiteRepository",
    "SqlUserRepository",
    "SqlVisitRepository",
    "make_engine",
]
