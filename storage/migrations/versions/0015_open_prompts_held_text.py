"""open prompts: the message a "Wozu gehört Ihre Nachricht?" question holds until answered

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("open_prompts") as batch:
        batch.add_column(sa.Column("held_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("open_prompts") as batch:
        batch.drop_column("held_text")
