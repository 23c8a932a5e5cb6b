"""The requester's answers to questions back (Rückfragen), and which ticket each belongs to.

Free text while exactly one of the requester's tickets waits for an answer answers it, as
always. While several wait, the bot asks which one ("Zu welchem Anliegen gehört Ihre
Antwort?", one button per waiting ticket, at most `MENU_SIZE`; more waiting tickets are
named as reachable with /antwort) and holds the text until the choice
(`bot.conversation.reply_pick`). Only a choice (button, menu position, "Nr. 5"), or "abbrechen"
ends the holding; further free text meanwhile is added to the held text (up to
`HELD_MESSAGES` maximal messages; beyond, the part is refused with a notice), and the bot
says so and asks again. `/antwort N Text` (`/reply N text`) answers ticket N directly; it takes
over the conversation slot (further free text follows ticket N, `bot.conversation.followup`) only
when no other dialog runs there (an intake, a form, a newsletter draft, a rating comment,
a held reply), and otherwise leaves that dialog as it is. Staff who may work on ticket N
and type `/antwort N ...` out of habit are pointed to `/erledigt N Antwort`.

A command that takes the slot over while a reply is held (/neu, a form; not /abbrechen,
which drops it on purpose) gets the same "not sent" notice first; a button of an older
message (an intake menu) meanwhile is answered by asking again which request it is for.

When a held reply expires, its text is NOT sent anywhere: attaching it to a guessed ticket
could hand the requester's words to the wrong team. Instead the requester's next message
(free text, a button, a number, or `/antwort`) is first answered with "your earlier answer
'...' was not sent" quoting its beginning, so no words are lost silently; the message
itself is then handled as usual (a choice meant for the expired menu is not used).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.conversation.followup import QUIET_DIALOGS, start_followup
from bot.conversation.reply_pick import (
    PARTS_JOINED_BY,
    REPLY_PICK,
    HeldReply,
    add_to_reply,
    hold_reply,
    is_reply_button,
    names_a_number,
    picked,
    release_reply,
    reply_button,
    stored_reply,
)
from bot.domain.lifecycle import TicketStatus
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Notice, Outgoing, Target
from bot.service import feedback, notify, permissions
from bot.service.actors import Actor, audit_action
from bot.service.tickets import TicketService
from dialogs.commands import Command
from dialogs.intake import CANCEL_WORDS
from storage.models import TicketRow
from storage.repositories import tickets as ticket_repo
from storage.repositories.dialog_states import ConversationKey, load_dialog

WAITING = TicketStatus.WAITING_FOR_CUSTOMER.value
MENU_SIZE = 10  # tickets offered in "which request?"; more are named, not listed
QUOTE_LENGTH = 60  # how much of an unsent held reply is quoted back
HELD_MESSAGES = 5  # a held reply grows to at most this many maximal messages


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
            session,
            platform=actor.platform,
            requester_id=actor.user_id,
            status=WAITING,
            limit=MENU_SIZE + 1,
        )
        if not waiting:
            return None
        if len(waiting) == 1:
            return await self._attach(session, key, actor, waiting[0].id, text, follow=True)
        shown = waiting[:MENU_SIZE]
        numbers = [ticket.id for ticket in shown]
        await hold_reply(session, key=key, text=text, tickets=numbers, at=self.clock.now())
        return [self._which(shown, actor.locale, more=len(waiting) > MENU_SIZE)]

    async def command(
        self, session: AsyncSession, command: Command, key: ConversationKey, actor: Actor
    ) -> list[Notice]:
        """`/antwort N Text`: the answer to ticket N's question (or an addition to it)."""
        if command.ticket_id is None:
            raise ValueError("reply needs a ticket number")
        ticket = await self.service.get(session, command.ticket_id)
        if not permissions.is_requester_of(actor, ticket) and (
            permissions.worker_on(self.config, actor, ticket) is not None
        ):
            return await self._staff_hint(session, actor, ticket.id)
        now = self.clock.now()
        timeout = self.config.dialogs.timeout
        held = await stored_reply(session, key=key, now=now, expires_after=timeout)
        if held is not None and held.expired:
            await self._report_unsent(session, key, actor, held)
        stored = await load_dialog(session, key=key)
        running = (
            stored is not None
            and stored.dialog not in QUIET_DIALOGS
            and not stored.expired(now, timeout)
        )
        # A dialog running here (intake, form, draft, comment, held reply) keeps its slot.
        return await self._attach(
            session, key, actor, command.ticket_id, command.text, follow=not running
        )

    async def turn(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        text: str,
        action_id: str | None,
    ) -> list[Notice] | None:
        """The choice of ticket for a held reply (typed or a `reply:N` button); more free
        text for it; or, once it has expired, the notice that it was not sent."""
        foreign = action_id is not None and not is_reply_button(action_id)
        now = self.clock.now()
        timeout = self.config.dialogs.timeout
        held = await stored_reply(session, key=key, now=now, expires_after=timeout)
        loc = actor.locale
        if held is None:
            # A stale button: the text it was for has expired (or was attached already).
            if action_id is None or foreign:
                return None
            return [Notice(text=t("reply.expired", loc))]
        cancel = action_id is None and text.strip().casefold() in CANCEL_WORDS
        if held.expired:
            await self._report_unsent(session, key, actor, held)
            if foreign:
                return None  # another dialog's button does what it does
            if action_id is not None or cancel or not text.strip() or names_a_number(text):
                return []  # meant for the expired menu: the notice is the whole answer
            return await self.route(session, key, actor, text)  # None: the engine goes on
        if foreign:  # an older message's button (a menu, a form): the reply stays held
            tickets = await self._tickets(session, held)
            return [Notice(text=t("intake.not_understood", loc)), self._which(tickets, loc)]
        if cancel:
            await release_reply(session, key=key, held=held, at=now)
            return [Notice(text=t("cmd.cancelled", loc))]
        tickets = await self._tickets(session, held)
        chosen = picked(held, self._choices(tickets, loc), text=text, action_id=action_id)
        if chosen is not None:
            return await self._attach(session, key, actor, chosen, held.text, follow=True)
        if action_id is not None or not text.strip() or names_a_number(text):
            again = self._which(tickets, loc)
            return [Notice(text=t("intake.not_understood", loc)), again]
        limit = HELD_MESSAGES * self.config.dialogs.max_message_length
        if len(held.text) + len(PARTS_JOINED_BY) + len(text) > limit:
            return [self._which(tickets, loc, lead="reply.held_full")]  # nothing is dropped
        await add_to_reply(session, key=key, held=held, text=text, at=now)
        return [self._which(tickets, loc, lead="reply.added")]

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
            await self.service.customer_reply(
                session, ticket_id=ticket.id, actor=actor, text=text, followed=follow
            )
        else:
            await self.service.add_info(session, ticket_id=ticket.id, actor=actor, text=text)
        if follow:
            await start_followup(session, key=key, ticket_id=ticket.id, at=self.clock.now())
        return []  # the service told the requester (and the assignee)

    async def held(self, session: AsyncSession, key: ConversationKey) -> HeldReply | None:
        """The reply this conversation holds (running or expired), if any."""
        timeout = self.config.dialogs.timeout
        return await stored_reply(session, key=key, now=self.clock.now(), expires_after=timeout)

    async def report_if_replaced(
        self, session: AsyncSession, key: ConversationKey, actor: Actor, held: HeldReply
    ) -> None:
        """A command took over the slot that held a reply (/neu, a workshop form): the held
        text was not sent, and the requester is told so, as on expiry."""
        stored = await load_dialog(session, key=key)
        if stored is None or stored.dialog != REPLY_PICK:
            await self._tell_unsent(session, actor, held)

    async def _report_unsent(
        self, session: AsyncSession, key: ConversationKey, actor: Actor, held: HeldReply
    ) -> None:
        """Free the slot of an expired held reply (compare-and-set), then tell the requester
        that it was not sent and what it said."""
        await release_reply(session, key=key, held=held, at=self.clock.now())
        await self._tell_unsent(session, actor, held)

    async def _tell_unsent(self, session: AsyncSession, actor: Actor, held: HeldReply) -> None:
        """ "Your earlier answer '...' was not sent": into the outbox now, so it goes out
        before any other answer of this turn."""
        notice = Notice(
            text=t("reply.not_sent", actor.locale, text=literal(quote(held.text))),
            channel_safe=False,
        )
        direct = Target(actor.platform, "user", actor.user_id)
        await notify.send(session, [Outgoing(direct, notice)], at=self.clock.now())

    async def _staff_hint(
        self, session: AsyncSession, actor: Actor, ticket_id: int
    ) -> list[Notice]:
        """Staff typed the requester's `/antwort N` for a ticket they work on: nothing is
        done (audited as refused), and they learn the command they meant."""
        await audit_action(
            session,
            actor,
            "refused",
            at=self.clock.now(),
            ticket_id=ticket_id,
            detail={"command": "reply", "reason": "reply.staff_use_resolve"},
        )
        return [Notice(text=t("reply.staff_use_resolve", actor.locale, id=ticket_id))]

    async def _tickets(self, session: AsyncSession, held: HeldReply) -> list[TicketRow]:
        rows = [await ticket_repo.get_ticket(session, ticket_id=n) for n in held.tickets]
        return [row for row in rows if row is not None]

    def _choices(self, tickets: Sequence[TicketRow], locale: str) -> tuple[Choice, ...]:
        return tuple(
            Choice(
                reply_button(ticket.id),
                t(
                    "reply.choice",
                    locale,
                    id=ticket.id,
                    topic=feedback.topic_name(self.config, ticket.topic_id, locale),
                ),
            )
            for ticket in tickets
        )

    def _which(
        self,
        tickets: Sequence[TicketRow],
        locale: str,
        *,
        more: bool = False,
        lead: str | None = None,
    ) -> Notice:
        """ "Which request is your answer for?", one button per waiting ticket; after
        `lead` (e.g. "added to your answer"), and naming /antwort when `more` wait."""
        parts = [t(lead, locale)] if lead else []
        parts.append(t("reply.which", locale))
        if more:
            parts.append(t("reply.more_waiting", locale))
        return Notice(
            text="\n".join(parts), choices=self._choices(tickets, locale), channel_safe=False
        )


def quote(text: str) -> str:
    """The beginning of a text, on one line, for quoting it back."""
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_LENGTH else flat[: QUOTE_LENGTH - 1].rstrip() + "…"
