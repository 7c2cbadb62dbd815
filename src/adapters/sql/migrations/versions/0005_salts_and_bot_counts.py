"""The daily salts of cookieless visitor ids, and the number of bot hits filtered out per day.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "salts",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("salt", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "day", name="pk_salts"),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name="fk_salts_site_id_sites", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_salts_created_at", "salts", ["created_at"])
    op.create_table(
        "bot_counts",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bots", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "day", name="pk_bot_counts"),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name="fk_bot_counts_site_id_sites", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("bot_counts")
    op.drop_index("ix_salts_created_at", table_name="salts")
    op.drop_table("salts")
