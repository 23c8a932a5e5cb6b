"""After a requester answered a question back, their next messages belong to that ticket.

Stored as a tiny dialog ("followup", ticket number) in the same per-conversation slot as
the intake, with the same compare-and-set, and it expires like every dialog.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories.dialog_states import ConversationKey, load_dialog, save_dialog

FOLLOWUP = "followup"
# Slots that hold no input in progress: following a ticket, or nothing (after a dialog ended).
QUIET_DIALOGS = frozenset({FOLLOWUP, "idle"})


async def start_followup(
    session: AsyncSession, *, key: ConversationKey, ticket_id: int, at: datetime
) -> None:
    """From now on, free text in this conversation is added to `ticket_id`."""
    stored = await load_dialog(session, key=key)
    await save_dialog(
        session,
        key=key,
        seen_version=None if stored is None else stored.version,
        dialog=FOLLOWUP,
        state={"ticket": ticket_id},
        at=at,
    )


async def followup_ticket(
    session: AsyncSession, *, key: ConversationKey, now: datetime, expires_after: timedelta
) -> int | None:
    """The ticket this conversation is following up on, unless that has expired."""
    stored = await load_dialog(session, key=key)
    if stored is None or stored.dialog != FOLLOWUP or stored.expired(now, expires_after):
        return None
    ticket = stored.state.get("ticket")
    return ticket if isinstance(ticket, int) else None
