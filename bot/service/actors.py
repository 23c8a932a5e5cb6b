"""Who acts: a platform user, and the staff member behind them when there is one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from storage.repositories import audit


@dataclass(frozen=True)
class Actor:
    """A platform user doing something; requesters and staff alike."""

    platform: str
    user_id: str
    display_name: str | None = None
    locale: str = "de"


def display_name(config: OrgConfig, person_id: str | None) -> str:
    """A staff member's name for messages, or the raw id when unknown."""
    if person_id is None:
        return "-"
    person = config.person(person_id)
    return person_id if person is None else person.display_name


async def audit_action(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    at: datetime,
    detail: dict[str, Any] | None = None,
    ticket_id: int | None = None,
) -> None:
    """Append what `actor` did to the audit log."""
    await audit.audit(
        session,
        at=at,
        platform=actor.platform,
        user_id=actor.user_id,
        action=action,
        ticket_id=ticket_id,
        detail=detail,
    )
