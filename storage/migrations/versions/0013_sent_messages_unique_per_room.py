"""sent messages are unique per room: Teams activity ids are unique per conversation only

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 14:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sent_messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sent_messages_platform_message_ref", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_sent_messages_platform_room_message_ref"),
            ["platform", "room", "message_ref"],
        )


def downgrade() -> None:
    with op.batch_alter_table("sent_messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sent_messages_platform_room_message_ref", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_sent_messages_platform_message_ref"), ["platform", "message_ref"]
        )
