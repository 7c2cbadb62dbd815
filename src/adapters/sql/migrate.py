"""Bringing a database's schema up to date with Alembic, driven from code (no alembic.ini)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

#: Resolved by Alembic through importlib.resources, so it works wherever the package is installed.
SCRIPT_LOCATION = "adapters.sql:migrations"


def alembic_config(database_url: str) -> Config:
    """The Alembic configuration for ``database_url``, for ``alembic.command`` functions."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # ConfigParser interpolates "%": a password such as "p%40ss" would otherwise break.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    """Apply every migration not yet applied; a database already at head is left as it is."""
    command.upgrade(alembic_config(database_url), "head")
