"""a ticket remembers its channel: chat (the intake) or phone (/telefon)

Revision ID: 0024
Revises: 0021
Create Date: 2026-12-07 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every ticket so far came through the chat: the server default says so for them.
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(length=8), nullable=False, server_default="chat")
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("channel")
