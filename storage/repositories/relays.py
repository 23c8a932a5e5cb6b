"""The complaint relay's rows: forwardings under a pseudonym, questions and answers.

Keyword-only functions that never commit: the caller owns the transaction. The rows go
with their complaint (storage/repositories/privacy.py `delete_tickets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LocalMessageRow, OutboxRow, SentMessageRow, TicketEventRow, TicketRow
from storage.models_relay import ComplaintRelayRow, RelayQuestionRow

LOCAL = "local"  # the local chat keeps its messages in the database


async def lock_ticket(session: AsyncSession, *, ticket_id: int) -> TicketRow | None:
    """The complaint's row, locked until the transaction ends (PostgreSQL: FOR UPDATE;
    SQLite serialises writers already): two presses of "forward" queue up, and the second
    reads the first's forwarding."""
    query = (
        select(TicketRow)
        .where(TicketRow.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).first()


async def newest_asker(
    session: AsyncSession, *, ticket_id: int, action: str
) -> tuple[str, str] | None:
    """(platform, id) of whoever asked the complaint's newest question back (`action`)."""
    query = (
        select(TicketEventRow.actor_platform, TicketEventRow.actor_id)
        .where(TicketEventRow.ticket_id == ticket_id, TicketEventRow.action == action)
        .order_by(TicketEventRow.id.desc())
        .limit(1)
    )
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


async def pseudonym_of(session: AsyncSession, *, ticket_id: int) -> str | None:
    """The complaint's pseudonym, once it has been forwarded."""
    query = select(ComplaintRelayRow.pseudonym).where(ComplaintRelayRow.ticket_id == ticket_id)
    return (await session.scalars(query.limit(1))).first()


async def pseudonym_taken(session: AsyncSession, *, pseudonym: str) -> bool:
    """Whether another complaint already goes by `pseudonym`."""
    query = select(ComplaintRelayRow.id).where(ComplaintRelayRow.pseudonym == pseudonym)
    return (await session.scalars(query.limit(1))).first() is not None


async def add_relay(
    session: AsyncSession,
    *,
    ticket_id: int,
    pseudonym: str,
    team_id: str,
    forwarded_by: str,
    at: datetime,
    text: str,
) -> ComplaintRelayRow:
    """Record one forwarding."""
    row = ComplaintRelayRow(
        ticket_id=ticket_id,
        pseudonym=pseudonym,
        team_id=team_id,
        forwarded_by=forwarded_by,
        forwarded_at=at,
        text=text,
    )
    session.add(row)
    await session.flush()
    return row


async def relay_for_team(
    session: AsyncSession, *, pseudonym: str, team_ids: Sequence[str]
) -> ComplaintRelayRow | None:
    """The latest forwarding of the complaint `pseudonym` to one of these teams."""
    if not team_ids:
        return None
    query = (
        select(ComplaintRelayRow)
        .where(ComplaintRelayRow.pseudonym == pseudonym, ComplaintRelayRow.team_id.in_(team_ids))
        .order_by(ComplaintRelayRow.id.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def get_relay(session: AsyncSession, *, relay_id: int) -> ComplaintRelayRow | None:
    """One forwarding by its id."""
    return await session.get(ComplaintRelayRow, relay_id)


async def add_question(
    session: AsyncSession,
    *,
    relay: ComplaintRelayRow,
    asked_by: str,
    at: datetime,
    question: str,
) -> RelayQuestionRow:
    """Record a team member's question."""
    row = RelayQuestionRow(
        relay_id=relay.id,
        ticket_id=relay.ticket_id,
        asked_by=asked_by,
        asked_at=at,
        question=question,
    )
    session.add(row)
    await session.flush()
    return row


async def open_questions(session: AsyncSession, *, ticket_id: int) -> list[RelayQuestionRow]:
    """The complaint's questions still waiting for the complainant's answer, oldest first."""
    query = (
        select(RelayQuestionRow)
        .where(RelayQuestionRow.ticket_id == ticket_id, RelayQuestionRow.answered_at.is_(None))
        .order_by(RelayQuestionRow.id)
    )
    return list((await session.scalars(query)).all())


async def questions_of(session: AsyncSession, *, ticket_id: int) -> list[RelayQuestionRow]:
    """Every question about the complaint, oldest first (the complainant's export)."""
    query = (
        select(RelayQuestionRow)
        .where(RelayQuestionRow.ticket_id == ticket_id)
        .order_by(RelayQuestionRow.id)
    )
    return list((await session.scalars(query)).all())


async def relays_of(session: AsyncSession, *, ticket_id: int) -> list[ComplaintRelayRow]:
    """Every forwarding of the complaint, oldest first."""
    query = (
        select(ComplaintRelayRow)
        .where(ComplaintRelayRow.ticket_id == ticket_id)
        .order_by(ComplaintRelayRow.id)
    )
    return list((await session.scalars(query)).all())


async def relay_cards(
    session: AsyncSession, *, ticket_id: int, prefix: str
) -> set[tuple[str, str]]:
    """(platform, card key) of every relay message of the complaint that was posted or is
    queued: the platforms' record of posts, the outbox and the local chat."""
    mine = f"{prefix}{ticket_id}-"
    found: set[tuple[str, str]] = set()
    posted = select(SentMessageRow.platform, SentMessageRow.card).where(
        SentMessageRow.card.startswith(mine, autoescape=True)
    )
    found |= {(platform, card) for platform, card in await session.execute(posted) if card}
    about = OutboxRow.payload["ticket_id"].as_integer() == ticket_id
    queued = select(OutboxRow.platform, OutboxRow.payload).where(about)
    found |= {
        (platform, str(payload["card"]))
        for platform, payload in await session.execute(queued)
        if str(payload.get("card") or "").startswith(mine)
    }
    local_about = LocalMessageRow.payload["ticket_id"].as_integer() == ticket_id
    local = select(LocalMessageRow.payload).where(local_about)
    found |= {
        (LOCAL, str(payload["card"]))
        for (payload,) in await session.execute(local)
        if str(payload.get("card") or "").startswith(mine)
    }
    return found
