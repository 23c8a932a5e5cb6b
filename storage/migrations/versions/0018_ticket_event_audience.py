"""ticket events carry their audience; staff-only words leave requester events

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 10:00:00

`public` becomes `audience` (bot/domain/audience.py): public events are the requester's;
internal ones the team's, escalations and acknowledgements the leads', and a complaint's
internal events the complaint managers'. Staff-only words that sat in public events move
into a note of their own: a handoff's reason and a staff member's reason for reopening.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_events = sa.table(
    "ticket_events",
    sa.column("id", sa.BigInteger()),
    sa.column("ticket_id", sa.BigInteger()),
    sa.column("at", UtcDateTime()),
    sa.column("action", sa.String()),
    sa.column("from_status", sa.String()),
    sa.column("to_status", sa.String()),
    sa.column("actor_platform", sa.String()),
    sa.column("actor_id", sa.String()),
    sa.column("actor_person", sa.String()),
    sa.column("public", sa.Boolean()),
    sa.column("audience", sa.String()),
    sa.column("data", sa.JSON()),
)
_tickets = sa.table(
    "tickets", sa.column("id", sa.BigInteger()), sa.column("confidential", sa.Boolean())
)


def upgrade() -> None:
    with op.batch_alter_table("ticket_events") as batch:
        batch.add_column(sa.Column("audience", sa.String(length=24), nullable=True))
    e = _events.c
    op.execute(
        _events.update().values(
            audience=sa.case(
                (e.public.is_(sa.true()), "requester"),
                (e.action.in_(["escalate", "acknowledge"]), "leads"),
                else_="team",
            )
        )
    )
    _split_staff_words()
    _leads_of_reminders()
    complaints = sa.select(_tickets.c.id).where(_tickets.c.confidential.is_(sa.true()))
    op.execute(
        _events.update()
        .where(e.audience != "requester", e.ticket_id.in_(complaints))
        .values(audience="complaint_managers")
    )
    with op.batch_alter_table("ticket_events") as batch:
        batch.alter_column("audience", existing_type=sa.String(length=24), nullable=False)
        batch.drop_column("public")


def _split_staff_words() -> None:
    """A handoff's reason and a staff reopening's reason become team notes of their own."""
    connection, e = op.get_bind(), _events.c
    staff_words = sa.or_(
        e.action == "handoff", sa.and_(e.action == "reopen", e.actor_person.is_not(None))
    )
    rows = connection.execute(
        sa.select(_events).where(e.audience == "requester", staff_words).order_by(e.id)
    ).all()
    for row in rows:
        data: dict[str, Any] = dict(row.data or {})
        key = "reason" if row.action == "handoff" else "text"
        if key not in data:
            continue
        words = data.pop(key)
        connection.execute(_events.update().where(e.id == row.id).values(data=data))
        if not words:
            continue
        connection.execute(
            _events.insert().values(
                ticket_id=row.ticket_id,
                at=row.at,
                action="note",
                from_status=row.to_status,
                to_status=row.to_status,
                actor_platform=row.actor_platform,
                actor_id=row.actor_id,
                actor_person=row.actor_person,
                public=False,
                audience="team",
                data={"text": words, "about": row.action},
            )
        )


def _leads_of_reminders() -> None:
    """A deadline notice to the team's leads was the leads' business, not the team's."""
    connection, e = op.get_bind(), _events.c
    rows = connection.execute(sa.select(e.id, e.data).where(e.action == "remind")).all()
    leads = [row.id for row in rows if "leads" in (row.data or {})]
    if leads:
        connection.execute(_events.update().where(e.id.in_(leads)).values(audience="leads"))


def downgrade() -> None:
    with op.batch_alter_table("ticket_events") as batch:
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=True))
    e = _events.c
    op.execute(_events.update().values(public=e.audience == "requester"))
    with op.batch_alter_table("ticket_events") as batch:
        batch.alter_column("public", existing_type=sa.Boolean(), nullable=False)
        batch.drop_column("audience")
