"""Data protection in storage: what a person left behind, and removing it. Never commits.

"Anonymise" keeps a record for the statistics (topic, team, times) and removes what
identifies or quotes the person; "delete" removes the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditLogRow,
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
    ProposalRow,
    SatisfactionRow,
    TicketEventRow,
    TicketRow,
    UserProfileRow,
    WorkshopRegistrationRow,
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
    for table in (TicketEventRow, EscalationStepRow, SatisfactionRow):
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
    """Delivered notices, handled inbound events and the local chat's messages older than
    `cutoff`: transport copies, not records (they hold message text)."""
    removed = 0
    statements = (
        delete(OutboxRow).where(OutboxRow.status == "delivered", OutboxRow.created_at < cutoff),
        delete(InboxRow).where(InboxRow.done.is_(True), InboxRow.received_at < cutoff),
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


async def person_tickets(
    session: AsyncSession, *, platform: str | None, user_id: str
) -> Sequence[TicketRow]:
    """Every ticket the person filed (on one platform, or on all)."""
    query = select(TicketRow).where(TicketRow.requester_id == user_id)
    if platform is not None:
        query = query.where(TicketRow.requester_platform == platform)
    return (await session.scalars(query.order_by(TicketRow.id))).all()


def _person(model: Any, platform: str | None, user_id: str, column: str = "user_id") -> Any:
    condition = getattr(model, column) == user_id
    if platform is not None:
        condition = condition & (model.platform == platform)
    return condition


async def person_records(
    session: AsyncSession, *, platform: str | None, user_id: str
) -> dict[str, list[Any]]:
    """Everything else stored about the person, by kind (rows)."""
    proposals = select(ProposalRow).where(ProposalRow.requester_id == user_id)
    if platform is not None:
        proposals = proposals.where(ProposalRow.requester_platform == platform)
    sent = select(OutboxRow).where(
        OutboxRow.target_kind == "user", OutboxRow.target_address == user_id
    )
    if platform is not None:
        sent = sent.where(OutboxRow.platform == platform)
    queries = {
        "profiles": select(UserProfileRow).where(_person(UserProfileRow, platform, user_id)),
        "dialogs": select(DialogStateRow).where(_person(DialogStateRow, platform, user_id)),
        "questions": select(OpenPromptRow).where(_person(OpenPromptRow, platform, user_id)),
        "knowledge_feedback": select(KnowledgeFeedbackRow).where(
            _person(KnowledgeFeedbackRow, platform, user_id)
        ),
        "proposals": proposals,
        "messages_to_them": sent,
        "workshops": select(WorkshopRegistrationRow).where(
            _person(WorkshopRegistrationRow, platform, user_id)
        ),
        # Their own traces in the audit log: refusals, and messages that failed (with text).
        "audit": select(AuditLogRow).where(_person(AuditLogRow, platform, user_id)),
    }
    return {kind: list((await session.scalars(query)).all()) for kind, query in queries.items()}


async def forget_person(session: AsyncSession, *, platform: str | None, user_id: str) -> int:
    """Delete or anonymise every other record of the person; returns how many rows."""
    records = await person_records(session, platform=platform, user_id=user_id)
    count = 0
    for kind in ("profiles", "dialogs", "questions", "messages_to_them", "audit"):
        for row in records[kind]:
            await session.delete(row)
            count += 1
    for row in records["knowledge_feedback"]:
        row.user_id = ANONYMOUS
        count += 1
    for row in records["proposals"]:
        row.requester_id, row.requester_name = ANONYMOUS, None
        count += 1
    for registration in records["workshops"]:
        # One anonymous row per seat (the workshop still counts it); a waiting place goes.
        if registration.status == "waiting":
            registration.status = "cancelled"
        registration.user_id = f"{ANONYMOUS}-{registration.id}"
        registration.display_name = None
        count += 1
    local = or_(
        LocalMessageRow.conversation == f"user:{user_id}",
        LocalMessageRow.conversation.like(f"user:{user_id}:%"),
    )
    if platform in (None, "local"):
        result: Any = await session.execute(delete(LocalMessageRow).where(local))
        count += int(result.rowcount or 0)
        typed: Any = await session.execute(
            delete(LocalTypedRow).where(LocalTypedRow.user_id == user_id)
        )
        count += int(typed.rowcount or 0)
    await session.flush()
    return count
