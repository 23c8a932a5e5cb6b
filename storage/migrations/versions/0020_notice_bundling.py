"""sweep DMs are bundled: outbox bundle columns and the per-person pacing table

Revision ID: 0020
Revises: 0024
Create Date: 2026-12-07 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0020"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("bundle_kind", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("bundle_id", sa.BigInteger(), nullable=True))
        batch.create_index("ix_outbox_held", ["status", "bundle_kind", "next_attempt_at"])
    op.create_table(
        "notice_pacing",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("started", UtcDateTime(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "address", "kind", name=op.f("pk_notice_pacing")),
    )


def downgrade() -> None:
    op.drop_table("notice_pacing")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_held")
        batch.drop_column("bundle_id")
        batch.drop_column("bundle_kind")
