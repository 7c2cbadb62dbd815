"""SQL adapters: SQLAlchemy Core repositories for SQLite and PostgreSQL, and their migrations."""

from adapters.sql.engine import make_engine
from adapters.sql.migrate import upgrade
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
    "upgrade",
]
