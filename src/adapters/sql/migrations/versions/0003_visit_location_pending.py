"""Visits remember whether their location is still to be looked up, and how often it failed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.add_column(
            sa.Column("location_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column(
                "location_attempts", sa.SmallInteger(), nullable=False, server_default=sa.text("0")
            )
        )
    op.create_index(
        "ix_visits_ip_address_location_pending",
        "visits",
        ["ip_address"],
        sqlite_where=sa.text("location_pending"),
        postgresql_where=sa.text("location_pending"),
    )


def downgrade() -> None:
    op.drop_index("ix_visits_ip_address_location_pending", table_name="visits")
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("location_attempts")
        batch.drop_column("location_pending")
