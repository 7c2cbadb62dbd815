"""Sites have settings: a time zone, whether Do Not Track is honoured, whether full IPs are kept.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(
            sa.Column("timezone", sa.Text(), nullable=False, server_default=sa.text("'UTC'"))
        )
        batch.add_column(
            sa.Column("honour_dnt", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("keep_full_ip", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("keep_full_ip")
        batch.drop_column("honour_dnt")
        batch.drop_column("timezone")
