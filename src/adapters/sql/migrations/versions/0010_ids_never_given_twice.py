"""SQLite never gives a deleted user's or site's id to a new one (AUTOINCREMENT).

Without it, SQLite gives a new row the largest id plus one: deleting the account that held
the largest site id, then adding a site, gave the new site the old one's id, and the old
site's pages, still sending beacons to it, filled another person's dashboard. PostgreSQL's
sequences never give an id twice: nothing changes there.

The tables are rebuilt (SQLite cannot add AUTOINCREMENT in place), which drops the old ones:
``env.py`` turns foreign keys off for the migration, else dropping them would delete every
row that refers to them, and checks them all before it commits.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("users", "sites")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass


def downgrade() -> None:
    # Earlier revisions work the same with AUTOINCREMENT tables; taking it away would only
    # bring the reuse of ids back.
    return None
