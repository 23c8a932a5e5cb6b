"""The local chat platform: delivery writes into the database, where shells read it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.local.parse import PLATFORM, channel_conversation, dm_conversation
from bot.delivery import InboundHandler
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice, Target
from storage.repositories import local_chat


class LocalChatAdapter:
    """Adapter for `hotline-bot shell`: every shell on the same database sees the same chat."""

    platform = PLATFORM

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    async def start(self, on_inbound: InboundHandler) -> None:
        """Nothing to connect: shells hand their lines to the engine directly."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        """Store the message; a repeated outbox id is ignored, so a retry never doubles it.
        A card taken back (`retract`) has its earlier posts deleted, and only where it was
        shown is the notice left in their place."""
        conversation = (
            dm_conversation(target.address)
            if target.kind == "user"
            else channel_conversation(target.address)
        )
        async with self.sessions() as session, session.begin():
            if notice.retract and notice.card is not None:
                taken = await local_chat.take_back_card(
                    session, conversation=conversation, card=notice.card
                )
                if not taken:
                    return None
            await local_chat.post_message(
                session,
                conversation=conversation,
                payload=notice.to_json(),
                at=self.clock.now(),
                outbox_id=outbox_id,
            )
        return f"local:{outbox_id}"
