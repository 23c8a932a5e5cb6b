"""index each deadline column of tickets

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 14:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

DEADLINES = ("first_response_due_at", "resolution_due_at", "update_due_at")


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        for column in DEADLINES:
            batch_op.create_index(batch_op.f(f"ix_tickets_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        for column in reversed(DEADLINES):
            batch_op.drop_index(batch_op.f(f"ix_tickets_{column}"))
