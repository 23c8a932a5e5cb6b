"""local chat: lines typed into a shell and not yet known to be handled

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "local_typed",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("typed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_typed")),
        sa.UniqueConstraint("event_id", name=op.f("uq_local_typed_event_id")),
    )
    op.create_index(op.f("ix_local_typed_user_id"), "local_typed", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_local_typed_user_id"), table_name="local_typed")
    op.drop_table("local_typed")
