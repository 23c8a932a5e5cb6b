"""personal working hours set by /arbeitszeit, one row per staff member

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-07 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0022"
down_revision = "0020"  # re-chained at the merges: 0019 > 0021 > 0024 > 0020 > 0022
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_hours",
        sa.Column("person_id", sa.String(length=128), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_hours")),
    )


def downgrade() -> None:
    op.drop_table("person_hours")
