"""absences with their deputy; the sweep hands over claimed tickets once at the start

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-07 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "absences",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("deputy_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("handed_over_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absences")),
    )
    op.create_index(op.f("ix_absences_person_id"), "absences", ["person_id"])
    op.create_index(op.f("ix_absences_ends_at"), "absences", ["ends_at"])
    op.create_index("ix_absences_handover_due", "absences", ["handed_over_at", "starts_at"])


def downgrade() -> None:
    op.drop_index("ix_absences_handover_due", table_name="absences")
    op.drop_index(op.f("ix_absences_ends_at"), table_name="absences")
    op.drop_index(op.f("ix_absences_person_id"), table_name="absences")
    op.drop_table("absences")
