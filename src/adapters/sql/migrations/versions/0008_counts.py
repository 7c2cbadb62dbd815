"""Counts per day and month (rollups), kept as visits arrive, and who was counted for what.

The counts of the visits stored before are made by 0009, once the tables are complete.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _counts(name: str, period: str) -> None:
    op.create_table(
        name,
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column(period, sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("visitors", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("bounces", sa.Integer(), nullable=False),
        sa.Column("duration", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "dimension", period, "value_id", name=f"pk_{name}"),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=f"fk_{name}_site_id_sites", ondelete="CASCADE"
        ),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    _counts("daily_counts", "day")
    _counts("monthly_counts", "month")
    op.create_table(
        "visitor_values",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("visitor_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("dimension", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("value_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint(
            "site_id", "day", "visitor_id", "dimension", "value_id", name="pk_visitor_values"
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name="fk_visitor_values_site_id_sites", ondelete="CASCADE"
        ),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("visitor_values")
    op.drop_table("monthly_counts")
    op.drop_table("daily_counts")
