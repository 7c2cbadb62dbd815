"""Monthly counts are kept for months that are over, made from their days when they end.

Keeping them up to date as visits arrive cost every batch of hits as many upserts again as
the daily counts; a month that is over changes only rarely (a place found late, a new time
zone). ``sites.counts_closed_through`` says up to which month they exist.

Then every site's counts are counted from its stored visits (``tally_rebuild``, as of this
revision: should these tables change shape later, this migration must keep a copy of it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("counts_closed_through", sa.Integer(), nullable=True))
    from adapters.sql.strings import StringIds
    from adapters.sql.tally_rebuild import rebuild_counts

    bind = op.get_bind()
    strings = StringIds()
    for site_id in bind.execute(sa.text("SELECT id FROM sites ORDER BY id")).scalars():
        with strings.transaction():
            rebuild_counts(bind, strings, site_id)


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("counts_closed_through")
