"""The requester's answers to questions back (Rückfragen), and which ticket each belongs to.

Free text while exactly one of the requester's tickets waits for an answer answers it, as
always. While several wait, the bot asks which one ("Zu welchem Anliegen gehört Ihre
Antwort?", one button per waiting ticket) and holds the text until the choice
(`dialogs.reply_pick`). `/antwort N Text` (`/reply N text`) answers ticket N directly.
After an answer, further free text is added to that ticket (`dialogs.followup`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.model import OrgConfig
from bot.domain.lifecycle import TicketStatus
from bot.i18n import t
from bot.notices import Choice, Notice
from bot.service import feedback
from bot.service.actors import Actor
from bot.service.tickets import TicketService
from dialogs.commands import Command
from dialogs.followup import start_followup
from dialogs.intake import CANCEL_WORDS
from dialogs.reply_pick import ACTION, REPLY_PICK, HeldReply, held_reply, hold_reply, picked
from dialogs.survey import intake_running
from storage.models import TicketRow
from storage.repositories import tickets as ticket_repo
from storage.repositories.dialog_states import ConversationKey, clear_dialog

WAITING = TicketStatus.WAITING_FOR_CUSTOMER.value


class ReplyFlow:
    """Routes a requester's reply to the ticket that asked; `/antwort N Text` as a command."""

    commands = frozenset({"reply"})
    dialogs = frozenset({REPLY_PICK})

    def __init__(self, config: OrgConfig, service: TicketService, clock: Clock) -> None:
        self.config = config
        self.service = service
        self.clock = clock

    async def route(
        self, session: AsyncSession, key: ConversationKey, actor: Actor, text: str
    ) -> list[Notice] | None:
        """Free text with no dialog running: a reply if a ticket waits for one, else None."""
        waiting = await ticket_repo.waiting_tickets_of(
            session, platform=actor.platform, requester_id=actor.user_id, status=WAITING
        )
        if not waiting:
            return None
        if len(waiting) == 1:
            return await self._attach(session, key, actor, waiting[0].id, text, follow=True)
        numbers = [ticket.id for ticket in waiting]
        await hold_reply(session, key=key, text=text, tickets=numbers, at=self.clock.now())
        return [self._which(waiting, actor.locale)]

    async def command(
        self, session: AsyncSession, command: Command, key: ConversationKey, actor: Actor
    ) -> list[Notice]:
        """`/antwort N Text`: the answer to ticket N's question (or an addition to it)."""
        if command.ticket_id is None:
            raise ValueError("reply needs a ticket number")
        timeout = self.config.dialogs.timeout
        # An intake in progress here stays; otherwise further free text follows ticket N.
        busy = await intake_running(session, key=key, now=self.clock.now(), expires_after=timeout)
        return await self._attach(
            session, key, actor, command.ticket_id, command.text, follow=not busy
        )

    async def turn(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        text: str,
        action_id: str | None,
    ) -> list[Notice] | None:
        """The choice of ticket for a held reply (typed or a `reply:N` button)."""
        if action_id is not None and not action_id.startswith(ACTION):
            return None
        held = await held_reply(
            session, key=key, now=self.clock.now(), expires_after=self.config.dialogs.timeout
        )
        loc = actor.locale
        if held is None:
            # A stale button: the text it was for has expired (or was attached already).
            return None if action_id is None else [Notice(text=t("reply.expired", loc))]
        if action_id is None and text.strip().casefold() in CANCEL_WORDS:
            await clear_dialog(session, key=key)
            return [Notice(text=t("cmd.cancelled", loc))]
        tickets = await self._tickets(session, held)
        choices = self._choices(tickets, loc)
        chosen = picked(held, choices, text=text, action_id=action_id)
        if chosen is None:
            again = self._which(tickets, loc)
            return [Notice(text=t("intake.not_understood", loc)), again]
        return await self._attach(session, key, actor, chosen, held.text, follow=True)

    async def _attach(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        ticket_id: int,
        text: str,
        *,
        follow: bool,
    ) -> list[Notice]:
        """Give `text` to the ticket: its answer if it waits for one, else an addition."""
        ticket = await self.service.get(session, ticket_id)
        if ticket.status == WAITING:
            await self.service.customer_reply(session, ticket_id=ticket.id, actor=actor, text=text)
        else:
            await self.service.add_info(session, ticket_id=ticket.id, actor=actor, text=text)
        if follow:
            await start_followup(session, key=key, ticket_id=ticket.id, at=self.clock.now())
        return []  # the service told the requester (and the assignee)

    async def _tickets(self, session: AsyncSession, held: HeldReply) -> list[TicketRow]:
        rows = [await ticket_repo.get_ticket(session, ticket_id=n) for n in held.tickets]
        return [row for row in rows if row is not None]

    def _choices(self, tickets: Sequence[TicketRow], locale: str) -> tuple[Choice, ...]:
        return tuple(
            Choice(
                f"{ACTION}{ticket.id}",
                t(
                    "reply.choice",
                    locale,
                    id=ticket.id,
                    topic=feedback.topic_name(self.config, ticket.topic_id, locale),
                ),
            )
            for ticket in tickets
        )

    def _which(self, tickets: Sequence[TicketRow], locale: str) -> Notice:
        """ "Which request is your answer for?", one button per waiting ticket."""
        choices = self._choices(tickets, locale)
        return Notice(
            text=t("reply.which", locale),
            choices=choices,
            channel_safe=False,
        )
