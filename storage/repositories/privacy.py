"""Data protection in storage: retention of tickets, feedback and transport copies. Never
commits. What one person left behind is in `person_data`, copies of text in `copies`.

"Anonymise" keeps a record for the statistics (topic, team, times) and removes what
identifies or quotes the person; "delete" removes the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AppointmentRow,
    AuditLogRow,
    ComplaintRelayRow,
    DialogStateRow,
    EscalationStepRow,
    InboundEventRow,
    InboxRow,
    KnowledgeFeedbackRow,
    LocalMessageRow,
    LocalTypedRow,
    NewsletterDeliveryRow,
    NewsletterRow,
    OpenPromptRow,
    OutboxRow,
    RelayQuestionRow,
    SatisfactionRow,
    TicketEventRow,
    TicketRow,
)

ANONYMOUS = "anonym"
_FINISHED = ("resolved", "closed")
_TEXT_KEYS = ("text", "reason", "was")


def _finished_before(cutoff: datetime) -> Any:
    finished = func.coalesce(TicketRow.closed_at, TicketRow.resolved_at)
    return (TicketRow.status.in_(_FINISHED)) & (finished < cutoff)


async def expired_complaints(session: AsyncSession, *, cutoff: datetime) -> Sequence[int]:
    """Complaints finished before `cutoff`."""
    query = select(TicketRow.id).where(TicketRow.confidential.is_(True), _finished_before(cutoff))
    return (await session.scalars(query)).all()


async def expired_tickets(session: AsyncSession, *, cutoff: datetime) -> Sequence[int]:
    """Other requests finished before `cutoff` and not anonymised yet."""
    query = select(TicketRow.id).where(
        TicketRow.confidential.is_(False),
        TicketRow.anonymised_at.is_(None),
        _finished_before(cutoff),
    )
    return (await session.scalars(query)).all()


async def delete_tickets(session: AsyncSession, *, ids: Sequence[int]) -> int:
    """Delete tickets with everything hanging on them."""
    if not ids:
        return 0
    relay_rows = (RelayQuestionRow, ComplaintRelayRow)  # the pseudonym mapping goes with it
    for table in (*relay_rows, TicketEventRow, EscalationStepRow, SatisfactionRow, AppointmentRow):
        await session.execute(delete(table).where(table.ticket_id.in_(ids)))
    result: Any = await session.execute(delete(TicketRow).where(TicketRow.id.in_(ids)))
    return int(result.rowcount or 0)


async def anonymise_tickets(session: AsyncSession, *, ids: Sequence[int], at: datetime) -> int:
    """Remove text, requester and references from tickets; keep what the reports count."""
    if not ids:
        return 0
    await session.execute(
        update(TicketRow)
        .where(TicketRow.id.in_(ids))
        .values(
            description="",
            reference=None,
            requester_id=ANONYMOUS,
            requester_name=None,
            anonymised_at=at,
            version=TicketRow.version + 1,
        )
    )
    events = await session.scalars(select(TicketEventRow).where(TicketEventRow.ticket_id.in_(ids)))
    for event in events:
        if any(key in event.data for key in _TEXT_KEYS):
            event.data = {k: v for k, v in event.data.items() if k not in _TEXT_KEYS}
        if event.actor_person is None and event.actor_platform != "system":
            event.actor_id = ANONYMOUS  # the requester's own events
    await session.execute(
        update(SatisfactionRow).where(SatisfactionRow.ticket_id.in_(ids)).values(comment=None)
    )
    await session.execute(delete(AppointmentRow).where(AppointmentRow.ticket_id.in_(ids)))
    await session.flush()
    return len(ids)


async def anonymise_feedback(session: AsyncSession, *, cutoff: datetime) -> int:
    """Rating comments and first-level feedback older than `cutoff` lose who gave them."""
    comments: Any = await session.execute(
        update(SatisfactionRow)
        .where(SatisfactionRow.rated_at < cutoff, SatisfactionRow.comment.is_not(None))
        .values(comment=None)
    )
    knowledge: Any = await session.execute(
        update(KnowledgeFeedbackRow)
        .where(KnowledgeFeedbackRow.at < cutoff, KnowledgeFeedbackRow.user_id != ANONYMOUS)
        .values(user_id=ANONYMOUS)
    )
    return int(comments.rowcount or 0) + int(knowledge.rowcount or 0)


async def prune_newsletter_deliveries(session: AsyncSession, *, cutoff: datetime) -> int:
    """Forget who received newsletters sent before `cutoff` (the newsletters stay)."""
    sent_before = select(NewsletterRow.id).where(NewsletterRow.created_at < cutoff)
    result: Any = await session.execute(
        delete(NewsletterDeliveryRow).where(
            NewsletterDeliveryRow.newsletter_id.in_(sent_before),
            NewsletterDeliveryRow.status == "queued",
        )
    )
    return int(result.rowcount or 0)


async def prune_transport(session: AsyncSession, *, cutoff: datetime) -> int:
    """Notices, inbound events, the local chat's messages and unfinished dialogs older than
    `cutoff`: transport copies, not records (they hold message text). A notice or event still
    waiting after so long (its platform switched off) is stale and goes too; a notice written
    for a later time (an appointment's reminder, weeks ahead) is stale only once that time,
    too, lies before `cutoff`."""
    removed = 0
    written_and_due_long_ago = (OutboxRow.created_at < cutoff) & (
        OutboxRow.next_attempt_at < cutoff
    )
    statements = (
        delete(OutboxRow).where(written_and_due_long_ago),  # delivered, failed, waiting
        delete(InboxRow).where(InboxRow.received_at < cutoff),
        # A request half written (or any dialog) and abandoned: the text typed so far.
        delete(DialogStateRow).where(DialogStateRow.updated_at < cutoff),
        delete(InboundEventRow).where(InboundEventRow.received_at < cutoff),
        delete(LocalMessageRow).where(LocalMessageRow.created_at < cutoff),
        delete(LocalTypedRow).where(LocalTypedRow.typed_at < cutoff),  # a shell never restarted
        # Questions asked (a rating, ...): who was asked, answered or not; not a record.
        delete(OpenPromptRow).where(OpenPromptRow.created_at < cutoff),
        # A message that failed is kept (text included) to be looked into, not for ever.
        delete(AuditLogRow).where(AuditLogRow.action == "inbound_failed", AuditLogRow.at < cutoff),
    )
    for statement in statements:
        result: Any = await session.execute(statement)
        removed += int(result.rowcount or 0)
    return removed
