"""One inbound message being handled, as every route and command handler sees it.

Its own module so that the command handlers (bound by name in `command_table`) can take a
Turn without importing the runner that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.notices import Inbound
from bot.service.actors import Actor
from storage.repositories.dialog_states import ConversationKey
from storage.repositories.profiles import StoredProfile


@dataclass(frozen=True)
class Turn:
    """One inbound message being handled: who, where, and the transaction it runs in."""

    session: AsyncSession
    inbound: Inbound
    actor: Actor
    profile: StoredProfile | None
    key: ConversationKey

    @property
    def text(self) -> str:
        """The message text without surrounding blanks."""
        return self.inbound.text.strip()
