"""An inbox event the worker gave up on (it failed again and again): tell its sender.

The engine apologises itself for what fails inside it (catalogue key error.internal, an
audit entry "inbound_failed"); this is the same apology for what fails around it (the
adapter's own steps, or the engine's apology itself), written in the transaction that marks
the event done (inbox_worker.InboxWorker._give_up), with a dedupe key per event.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from adapters.matrix.parse import PLATFORM
from adapters.matrix.sender_notice import tell_sender
from bot.kernel.notices import Target
from storage.repositories import audit

log = logging.getLogger(__name__)


def sender_and_target(payload: dict[str, Any]) -> tuple[str, Target] | None:
    """Who sent a stored message or reaction, and where to answer them: the team room it
    came from, else their DM; None if the payload does not say (logged by the caller)."""
    try:
        if payload["kind"] == "message":
            inbound = payload["inbound"]
            sender = str(inbound["user_id"])
            direct = bool(inbound.get("is_direct", True))
            channel = inbound.get("channel_id")
        else:
            sender = str(payload["sender"])
            direct = bool(payload.get("is_direct", True))
            channel = payload.get("channel")
    except (KeyError, TypeError):
        return None
    if not direct and channel:
        return sender, Target(PLATFORM, "channel", str(channel))
    return sender, Target(PLATFORM, "user", sender)


async def apologise(
    session: AsyncSession, payload: dict[str, Any], attempts: int, *, at: datetime
) -> None:
    """Audit the event as failed and queue the engine's apology (error.internal) for its
    sender, in their language; in a team room addressed to them by name."""
    found = sender_and_target(payload)
    if found is None:
        log.error("no sender in the failed inbox event %r; nobody told", payload)
        return
    sender, target = found
    inbound = payload.get("inbound") if payload.get("kind") == "message" else None
    event_id = str(inbound["event_id"] if inbound else payload.get("event_id"))
    await audit.audit(
        session,
        at=at,
        platform=PLATFORM,
        user_id=sender,
        action="inbound_failed",
        detail={
            "event_id": event_id,
            "text": inbound.get("text") if inbound else None,
            "action_id": inbound.get("action_id") if inbound else payload.get("key"),
            "attempts": attempts,
        },
    )
    await tell_sender(
        session,
        sender=sender,
        target=target,
        key="error.internal",
        dedupe_key=f"matrix-failed:{event_id}",
        at=at,
    )
