"""the pseudonymous complaint relay: forwardings and the team's questions

Revision ID: 0026
Revises: 0022
Create Date: 2026-12-08 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.base import BigId, UtcDateTime

revision = "0026"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaint_relays",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("ticket_id", BigId, nullable=False),
        sa.Column("pseudonym", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("forwarded_by", sa.String(length=128), nullable=False),
        sa.Column("forwarded_at", UtcDateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_complaint_relays_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_relays")),
    )
    op.create_index(
        op.f("ix_complaint_relays_ticket_id"), "complaint_relays", ["ticket_id"], unique=False
    )
    op.create_index(
        op.f("ix_complaint_relays_pseudonym"), "complaint_relays", ["pseudonym"], unique=False
    )
    op.create_table(
        "complaint_relay_questions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("relay_id", BigId, nullable=False),
        sa.Column("ticket_id", BigId, nullable=False),
        sa.Column("asked_by", sa.String(length=128), nullable=False),
        sa.Column("asked_at", UtcDateTime(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["relay_id"],
            ["complaint_relays.id"],
            name=op.f("fk_complaint_relay_questions_relay_id_complaint_relays"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_complaint_relay_questions_ticket_id_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_relay_questions")),
    )
    for column in ("relay_id", "ticket_id"):
        op.create_index(
            op.f(f"ix_complaint_relay_questions_{column}"),
            "complaint_relay_questions",
            [column],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("complaint_relay_questions")
    op.drop_table("complaint_relays")
