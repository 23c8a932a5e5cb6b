"""What a person left behind in the records, and forgetting it (a DSGVO erasure). Never
commits. Copies of their text elsewhere (transport rows, posted cards) are in `copies`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditLogRow,
    DialogStateRow,
    KnowledgeFeedbackRow,
    LocalCursorRow,
    LocalMessageRow,
    LocalTypedRow,
    OpenPromptRow,
    OutboxRow,
    ProposalRow,
    TicketRow,
    UserProfileRow,
    WorkshopRegistrationRow,
)
from storage.repositories import platform_state
from storage.repositories.privacy import ANONYMOUS

LOCAL = "local"  # the local chat: its messages and journal live in this database


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
    if platform in (None, LOCAL):
        count += await _forget_local(session, user_id)
    count += await platform_state.forget_person(session, platform=platform, user_id=user_id)
    await session.flush()
    return count


async def _forget_local(session: AsyncSession, user_id: str) -> int:
    """The local chat's copies: their conversation, the lines they typed, how far they read."""
    own = or_(
        LocalMessageRow.conversation == f"user:{user_id}",
        LocalMessageRow.conversation.startswith(f"user:{user_id}:", autoescape=True),
    )
    count = 0
    for statement in (
        delete(LocalMessageRow).where(own),
        delete(LocalTypedRow).where(LocalTypedRow.user_id == user_id),
        delete(LocalCursorRow).where(LocalCursorRow.user_id == user_id),
    ):
        result: Any = await session.execute(statement)
        count += int(result.rowcount or 0)
    return count
