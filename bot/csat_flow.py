"""The conversation around a rating: "/bewertung 12 4" or a button, then an optional comment.

Kept out of the engine: it parses the rating command, stores it through the satisfaction
service and, in the requester's own conversation, waits for one comment (or "nein").
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.model import OrgConfig
from bot.domain.errors import NotRatable
from bot.i18n import t
from bot.notices import Notice
from bot.service.actors import Actor
from bot.service.satisfaction import SatisfactionService
from dialogs.commands import Command
from dialogs.survey import (
    COMMENT,
    await_comment,
    close_comment,
    input_running,
    is_skip,
    pending_comment,
)
from storage.repositories.dialog_states import ConversationKey


class CsatFlow:
    """Ratings and their comments, in the requester's DM."""

    commands = frozenset({"rate"})
    dialogs = frozenset({COMMENT})

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.service = SatisfactionService(config, clock)

    async def command(
        self, session: AsyncSession, command: Command, key: ConversationKey, actor: Actor
    ) -> list[Notice]:
        """Store the rating; ask for a comment unless one came with the command."""
        if command.ticket_id is None:
            raise ValueError("rate needs a ticket number")
        score_text, _, comment = command.text.partition(" ")
        if not (score_text.isdecimal() and len(score_text) == 1):
            raise NotRatable("score is not a number from 1 to 5", id=command.ticket_id)
        ticket_id, score, loc = command.ticket_id, int(score_text), actor.locale
        await self.service.rate(session, actor=actor, ticket_id=ticket_id, score=score)
        if comment.strip():
            await self.service.comment(
                session, actor=actor, ticket_id=ticket_id, text=comment.strip()
            )
            return [Notice(text=t("csat.thanks", loc, score=score), ticket_id=ticket_id)]
        timeout = self.config.dialogs.timeout
        if await input_running(session, key=key, now=self.clock.now(), expires_after=timeout):
            # A request, a form or a held reply is in progress here: keep it; the rating
            # alone is stored.
            return [Notice(text=t("csat.thanks_short", loc, score=score), ticket_id=ticket_id)]
        await await_comment(session, key=key, ticket_id=ticket_id, score=score, at=self.clock.now())
        text = t("csat.thanks_ask_comment", loc, score=score)
        return [Notice(text=text, ticket_id=ticket_id, channel_safe=False)]

    async def turn(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        text: str,
        action_id: str | None,
    ) -> list[Notice] | None:
        """If this conversation waits for a comment on a rating, take `text` as it (or as
        a 'no, thanks'); None when no comment is pending."""
        if action_id is not None or not text:
            return None
        pending = await pending_comment(
            session, key=key, now=self.clock.now(), expires_after=self.config.dialogs.timeout
        )
        if pending is None:
            return None
        await close_comment(session, key=key)
        if not await self.service.still_ratable(session, actor, pending.ticket_id):
            return None  # reopened meanwhile: this text belongs to the request, not a rating
        if is_skip(text):
            return [Notice(text=t("csat.no_comment", actor.locale))]
        await self.service.comment(session, actor=actor, ticket_id=pending.ticket_id, text=text)
        return [Notice(text=t("csat.comment_thanks", actor.locale), ticket_id=pending.ticket_id)]
