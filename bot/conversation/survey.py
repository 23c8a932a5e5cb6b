"""After a rating, the requester's next message may be a comment on it.

Stored as a tiny dialog ("csat_comment", ticket, score) in the conversation's dialog slot,
like the follow-up after a question back; it expires like every dialog.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.followup import QUIET_DIALOGS
from storage.repositories.dialog_states import (
    ConversationKey,
    clear_dialog,
    load_dialog,
    save_dialog,
)

COMMENT = "csat_comment"
NOT_INPUT = QUIET_DIALOGS | {COMMENT}  # slots holding no input in progress
SKIP_WORDS = frozenset({"nein", "no", "-", "danke", "nichts", "nothing"})


@dataclass(frozen=True)
class PendingComment:
    """The rating a comment would belong to."""

    ticket_id: int
    score: int
    since: datetime  # when the comment was asked for


async def await_comment(
    session: AsyncSession, *, key: ConversationKey, ticket_id: int, score: int, at: datetime
) -> None:
    """From now on, the next free text in this conversation comments on the rating."""
    stored = await load_dialog(session, key=key)
    await save_dialog(
        session,
        key=key,
        seen_version=None if stored is None else stored.version,
        dialog=COMMENT,
        state={"ticket": ticket_id, "score": score},
        at=at,
    )


async def pending_comment(
    session: AsyncSession, *, key: ConversationKey, now: datetime, expires_after: timedelta
) -> PendingComment | None:
    """The rating waiting for a comment in this conversation, unless that has expired."""
    stored = await load_dialog(session, key=key)
    if stored is None or stored.dialog != COMMENT or stored.expired(now, expires_after):
        return None
    ticket, score = stored.state.get("ticket"), stored.state.get("score")
    if not isinstance(ticket, int) or not isinstance(score, int):
        return None
    return PendingComment(ticket, score, stored.updated_at)


async def close_comment(session: AsyncSession, *, key: ConversationKey) -> None:
    """The comment arrived (or was declined): free text is free again."""
    await clear_dialog(session, key=key)


def is_skip(text: str) -> bool:
    """'nein', '-' and friends decline the comment."""
    return text.strip().strip(".!").casefold() in SKIP_WORDS


async def input_running(
    session: AsyncSession, *, key: ConversationKey, now: datetime, expires_after: timedelta
) -> bool:
    """Whether this conversation is in the middle of something the user types into (a
    request, a form, a draft, a reply waiting for its ticket), not just idle, following a
    ticket, or waiting for a comment: that must not be overwritten by a rating's comment."""
    stored = await load_dialog(session, key=key)
    return (
        stored is not None
        and stored.dialog not in NOT_INPUT
        and not stored.expired(now, expires_after)
    )


async def intake_running(
    session: AsyncSession, *, key: ConversationKey, now: datetime, expires_after: timedelta
) -> bool:
    """Whether a request is being entered in this conversation right now (its state must
    not be overwritten by a side conversation)."""
    stored = await load_dialog(session, key=key)
    return (
        stored is not None and stored.dialog == "intake" and not stored.expired(now, expires_after)
    )
