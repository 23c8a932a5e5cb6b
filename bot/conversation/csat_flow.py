"""The conversation around a rating: "/bewertung 12 4" or a button, then an optional comment.

Kept out of the engine: it parses the rating command, stores it through the satisfaction
service and, in the requester's own conversation, waits for one comment (or "nein").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.conversation.survey import (
    COMMENT,
    await_comment,
    close_comment,
    input_running,
    is_skip,
    pending_comment,
)
from bot.domain.lifecycle import TicketStatus
from bot.i18n import t
from bot.kernel.actions import ButtonAction
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.service.actors import Actor
from bot.service.satisfaction import RATING, SCORES, SatisfactionService
from dialogs.commands import Command
from storage.models import OpenPromptRow
from storage.repositories import prompts
from storage.repositories import tickets as ticket_repo
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
        """ "/bewertung 12 4 [Kommentar]" rates or changes a rating on purpose; an old card's
        button without a prompt id ("rate:12:4") answers the question once, like a new one."""
        if command.ticket_id is None:
            raise ValueError("rate needs a ticket number")
        ticket_id, loc = command.ticket_id, actor.locale
        score_text, _, comment = command.text.partition(" ")
        score = _score(score_text)
        if score is None:
            return [Notice(text=t("csat.range", loc, id=ticket_id), channel_safe=False)]
        if command.from_button:
            await self.service.still_ratable_or_raise(session, actor, ticket_id)
            already = await self.service.score_of(session, ticket_id)
            if already is not None:
                return [_already_rated(ticket_id, already, loc)]
        return await self._rate(session, key, actor, ticket_id, score, comment.strip())

    async def pressed(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        action: ButtonAction,
        prompt: OpenPromptRow,
    ) -> list[Notice]:
        """A rating button of the question `prompt`: taken once, stale afterwards."""
        loc, ticket_id = actor.locale, prompt.ticket_id
        score = _score(action.arg(1) or "")
        mine = (prompt.platform, prompt.user_id) == (actor.platform, actor.user_id)
        if ticket_id is None or not mine or action.arg(0) != str(ticket_id) or score is None:
            return [Notice(text=t("prompt.stale", loc), channel_safe=False)]
        if prompt.closed_at is not None:
            return await self._stale(session, prompt, ticket_id, loc)
        return await self._rate(session, key, actor, ticket_id, score, "", prompt)

    async def may_reopen(
        self, session: AsyncSession, actor: Actor, prompt: OpenPromptRow
    ) -> list[Notice] | None:
        """The question's "Wieder öffnen" button: None when it may act (the question is open
        and the presser's), else the stale answer."""
        mine = (prompt.platform, prompt.user_id) == (actor.platform, actor.user_id)
        if prompt.ticket_id is None or not mine:
            return [Notice(text=t("prompt.stale", actor.locale), channel_safe=False)]
        if prompt.closed_at is not None:
            return await self._stale(session, prompt, prompt.ticket_id, actor.locale)
        return None

    async def typed_question(
        self,
        session: AsyncSession,
        actor: Actor,
        text: str,
        newer_than: datetime | None,
    ) -> OpenPromptRow | None:
        """The rating question a bare typed number answers: the person's newest open one,
        unless a dialog step (`newer_than`) or a question back came after it. Reads only."""
        number = text.strip().rstrip(".")
        if not number.isdecimal() or len(number) > 3:
            return None
        newest = await prompts.typed_candidates(  # only the newest rating question is read
            session,
            platform=actor.platform,
            user_id=actor.user_id,
            now=self.clock.now(),
            kind=RATING,
            limit=1,
        )
        prompt = newest[0] if newest else None
        if prompt is None or prompt.ticket_id is None:
            return None
        if newer_than is not None and prompt.created_at <= newer_than:
            return None  # the dialog's question came later: the number is its answer
        if await self._asked_back_since(session, actor, prompt.created_at):
            return None  # a question back came later: the number answers it
        return prompt

    async def typed(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        text: str,
        prompt: OpenPromptRow,
    ) -> list[Notice]:
        """The number typed for `prompt` (see `typed_question`): the rating, or, out of
        range, the question again with the range."""
        score = _score(text.strip().rstrip("."))
        ticket_id = prompt.ticket_id
        if score is None or ticket_id is None:
            return [Notice(text=t("csat.typed_range", actor.locale, id=ticket_id))]
        return await self._rate(session, key, actor, ticket_id, score, "", prompt)

    async def _asked_back_since(self, session: AsyncSession, actor: Actor, since: datetime) -> bool:
        """Whether one of the requester's tickets was asked back after `since`."""
        newer = await ticket_repo.asked_back_after(
            session,
            platform=actor.platform,
            requester_id=actor.user_id,
            status=TicketStatus.WAITING_FOR_CUSTOMER.value,
            moment=since,
        )
        return bool(newer)

    async def _stale(
        self, session: AsyncSession, prompt: OpenPromptRow, ticket_id: int, loc: str
    ) -> list[Notice]:
        if prompt.outcome == "reopened" and not await self.service.is_settled(session, ticket_id):
            return [Notice(text=t("prompt.stale_reopened", loc, id=ticket_id), channel_safe=False)]
        already = await self.service.score_of(session, ticket_id)
        if already is None:
            return [Notice(text=t("prompt.stale", loc), channel_safe=False)]
        return [_already_rated(ticket_id, already, loc)]

    async def _rate(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        ticket_id: int,
        score: int,
        comment: str,
        prompt: OpenPromptRow | None = None,
    ) -> list[Notice]:
        """Store the rating; ask for a comment unless one came with it. An answer to
        `prompt` first closes it with compare-and-set: of two answers racing on two
        instances, the second is stale."""
        loc = actor.locale
        if prompt is not None:
            now = self.clock.now()
            if not await prompts.close_prompt(
                session, prompt_id=prompt.id, outcome="answered", at=now
            ):
                return await self._stale(session, prompt, ticket_id, loc)
        before = await self.service.rate(session, actor=actor, ticket_id=ticket_id, score=score)
        notices: list[Notice] = []
        if before is not None:
            same = before == score
            key_ = "csat.changed_same" if same else "csat.changed"
            text = t(key_, loc, id=ticket_id, score=score, before=before)
            notices.append(Notice(text=text, ticket_id=ticket_id, channel_safe=False))
            if same and not comment:
                return notices
        if comment:
            await self.service.comment(session, actor=actor, ticket_id=ticket_id, text=comment)
            thanks = t("csat.thanks", loc, score=score)
            return [*notices, Notice(text=thanks, ticket_id=ticket_id, channel_safe=False)]
        timeout = self.config.dialogs.timeout
        if await input_running(session, key=key, now=self.clock.now(), expires_after=timeout):
            # A request, a form or a held reply is in progress here: keep it; the rating
            # alone is stored.
            thanks = t("csat.thanks_short", loc, score=score)
            return [*notices, Notice(text=thanks, ticket_id=ticket_id, channel_safe=False)]
        await await_comment(session, key=key, ticket_id=ticket_id, score=score, at=self.clock.now())
        text = t("csat.thanks_ask_comment", loc, score=score)
        return [*notices, Notice(text=text, ticket_id=ticket_id, channel_safe=False)]

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
        if await self._asked_back_since(session, actor, pending.since):
            return None  # a question back came after the comment question: it is the newer
        if not await self.service.still_ratable(session, actor, pending.ticket_id):
            return None  # reopened meanwhile: this text belongs to the request, not a rating
        if await self.service.score_of(session, pending.ticket_id) != pending.score:
            return None  # the rating changed since: this comment was asked for the old one
        if is_skip(text):
            return [Notice(text=t("csat.no_comment", actor.locale))]
        await self.service.comment(session, actor=actor, ticket_id=pending.ticket_id, text=text)
        return [Notice(text=t("csat.comment_thanks", actor.locale), ticket_id=pending.ticket_id)]


def _score(text: str) -> int | None:
    """A score from 1 to 5 as typed or carried by a button; None for anything else."""
    text = text.strip()
    return int(text) if text.isdecimal() and len(text) == 1 and int(text) in SCORES else None


def _already_rated(ticket_id: int, score: int, locale: str) -> Notice:
    return Notice(
        text=t("csat.already_rated", locale, id=ticket_id, score=score), channel_safe=False
    )
