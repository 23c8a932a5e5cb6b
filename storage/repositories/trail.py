"""A ticket's audit trail: appending events, the staff's full view, the requester's view.

Every requester-facing rendering (their /verlauf, the privacy export) reads the trail only
through `requester_events`: it selects requester-audience rows and, of those, only the
columns a requester may see, into a small record. Staff views read `ticket_events`.
Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.audience import EventAudience
from bot.domain.lifecycle import Action
from storage.models import TicketEventRow, TicketRow

ASSIGNMENTS = (Action.ASSIGN.value, Action.REASSIGN.value)
QUEUE_ENTRIES = (Action.QUEUE.value, Action.HANDOFF.value, Action.REOPEN.value)  # into a queue


@dataclass(frozen=True)
class RequesterEvent:
    """One line of the trail as its requester may see it."""

    at: datetime
    action: str
    text: str | None  # the question asked, the answer, the requester's own words
    # The staff member named to the requester anyway: who acted, or for an assignment the
    # colleague it went to (as if they had claimed it; whoever assigned it stays unnamed).
    staff_person: str | None
    by_requester: bool  # False with no staff person: the bot acted (a claim lease ran out)


async def append_event(
    session: AsyncSession,
    *,
    ticket_id: int,
    at: datetime,
    action: str,
    from_status: str | None,
    to_status: str,
    actor_platform: str,
    actor_id: str,
    actor_person: str | None,
    audience: EventAudience,
    data: dict[str, Any],
) -> TicketEventRow:
    """Append one line to the ticket's audit trail, readable by `audience`."""
    row = new_event(
        ticket_id=ticket_id,
        at=at,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor_platform=actor_platform,
        actor_id=actor_id,
        actor_person=actor_person,
        audience=audience,
        data=data,
    )
    session.add(row)
    await session.flush()
    return row


def new_event(
    *,
    ticket_id: int,
    at: datetime,
    action: str,
    from_status: str | None,
    to_status: str,
    actor_platform: str,
    actor_id: str,
    actor_person: str | None,
    audience: EventAudience,
    data: dict[str, Any],
) -> TicketEventRow:
    """One line of a ticket's audit trail, not yet added: a bulk writer (the sweep) adds
    a batch's lines and flushes them together (one multi-row INSERT)."""
    return TicketEventRow(
        ticket_id=ticket_id,
        at=at,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor_platform=actor_platform,
        actor_id=actor_id,
        actor_person=actor_person,
        audience=EventAudience(audience).value,
        data=data,
    )


async def last_platform_of(session: AsyncSession, *, ticket_id: int, person_id: str) -> str | None:
    """The platform from which a staff member last acted on the ticket (None: never did)."""
    query = (
        select(TicketEventRow.actor_platform)
        .where(TicketEventRow.ticket_id == ticket_id, TicketEventRow.actor_person == person_id)
        .order_by(TicketEventRow.at.desc(), TicketEventRow.id.desc())
        .limit(1)
    )
    platform: str | None = await session.scalar(query)
    return platform


async def insert_events(session: AsyncSession, events: Sequence[TicketEventRow]) -> None:
    """Insert lines made with `new_event` (not added to the session) as multi-row INSERTs,
    leaving the ORM's unit of work out: a sweep batch writes hundreds at once."""
    if not events:
        return
    table: Any = TicketEventRow.__table__
    columns = [column.key for column in table.columns if column.key != "id"]
    rows = [{name: getattr(event, name) for name in columns} for event in events]
    # RETURNING makes SQLAlchemy send the executemany as multi-row INSERTs (insertmanyvalues)
    await session.execute(insert(table).returning(table.c.id), rows)


async def last_platforms(
    session: AsyncSession, *, ticket_ids: Collection[int]
) -> dict[tuple[int, str], str]:
    """`last_platform_of` for every staff member on these tickets, in one query."""
    if not ticket_ids:
        return {}
    query = (
        select(TicketEventRow.ticket_id, TicketEventRow.actor_person, TicketEventRow.actor_platform)
        .where(TicketEventRow.ticket_id.in_(list(ticket_ids)))
        .where(TicketEventRow.actor_person.is_not(None))
        .order_by(TicketEventRow.at, TicketEventRow.id)
    )
    found: dict[tuple[int, str], str] = {}
    for ticket_id, person, platform in (await session.execute(query)).all():
        if person is not None:
            found[(ticket_id, person)] = platform  # the latest wins
    return found


async def events_of(
    session: AsyncSession, *, ticket_ids: Collection[int]
) -> dict[int, list[TicketEventRow]]:
    """`ticket_events` for several tickets, in one query."""
    found: dict[int, list[TicketEventRow]] = {ticket_id: [] for ticket_id in ticket_ids}
    if not found:
        return found
    query = (
        select(TicketEventRow)
        .where(TicketEventRow.ticket_id.in_(list(found)))
        .order_by(TicketEventRow.at, TicketEventRow.id)
    )
    for event in (await session.scalars(query)).all():
        found[event.ticket_id].append(event)
    return found


async def ticket_events(session: AsyncSession, *, ticket_id: int) -> Sequence[TicketEventRow]:
    """The whole audit trail of a ticket, oldest first: for staff only."""
    query = (
        select(TicketEventRow)
        .where(TicketEventRow.ticket_id == ticket_id)
        .order_by(TicketEventRow.at, TicketEventRow.id)
    )
    return (await session.scalars(query)).all()


async def requester_events(session: AsyncSession, *, ticket_id: int) -> list[RequesterEvent]:
    """The trail as the ticket's requester may see it, oldest first: requester-audience
    events only, and of each only its moment, action, text and who acted."""
    event, ticket = TicketEventRow, TicketRow
    by_requester = and_(
        event.actor_person.is_(None),
        event.actor_platform == ticket.requester_platform,
        event.actor_id == ticket.requester_id,
    )
    query = (
        select(
            event.at,
            event.action,
            event.data["text"].as_string(),
            event.actor_person,
            event.data["assignee"].as_string(),
            by_requester,
        )
        .join(ticket, ticket.id == event.ticket_id)
        .where(event.ticket_id == ticket_id, event.audience == EventAudience.REQUESTER.value)
        .order_by(event.at, event.id)
    )
    return [
        RequesterEvent(at, action, text, assignee if action in ASSIGNMENTS else person, bool(mine))
        for at, action, text, person, assignee, mine in (await session.execute(query)).all()
    ]


async def latest_note_about(
    session: AsyncSession, *, ticket_id: int, about: Iterable[str]
) -> TicketEventRow | None:
    """The newest note with the staff-only words of one of the actions `about` (a
    handover note) since the ticket last entered a queue (opened, handed off, reopened):
    what its card in that queue keeps showing. None: there is none."""
    event = TicketEventRow
    entered = (
        select(func.max(event.id))
        .where(event.ticket_id == ticket_id, event.action.in_(QUEUE_ENTRIES))
        .scalar_subquery()
    )
    query = (
        select(event)
        .where(
            event.ticket_id == ticket_id,
            event.action == Action.NOTE.value,
            event.data["about"].as_string().in_(list(about)),
            event.id > func.coalesce(entered, 0),
        )
        .order_by(event.id.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def drop_event_texts(session: AsyncSession, *, ticket_id: int, actions: Iterable[str]) -> int:
    """Remove the "text" from these events of the ticket (what a deleted message said);
    returns how many lost it."""
    query = select(TicketEventRow).where(
        TicketEventRow.ticket_id == ticket_id, TicketEventRow.action.in_(list(actions))
    )
    dropped = 0
    for event in (await session.scalars(query)).all():
        if "text" in event.data:
            event.data = {k: v for k, v in event.data.items() if k != "text"}
            dropped += 1
    await session.flush()
    return dropped
