"""The team card's buttons beyond claiming: "Weitergeben" (hand off) and "Erledigt" (resolve).

A press on "Weitergeben" (`handoff:N`) answers the presser privately with one button per
team (`handoff:N:TEAM`), so the handoff itself stays an ordinary, stateless command. A press
on "Erledigt" (`resolve:N`) asks for the answer to the requester; the presser's next direct
message is that answer. The pending answer is kept per person, not per conversation: the
press happens in a team channel, the answer is typed in the direct chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.model import OrgConfig
from bot.domain.errors import ComplaintStays, NotAllowed
from bot.domain.lifecycle import Action, TicketStatus, next_status
from bot.i18n import t
from bot.notices import Choice, Notice
from bot.service import permissions
from bot.service.actors import Actor
from bot.service.tickets import TicketService
from storage.models import TicketRow
from storage.repositories.dialog_states import (
    ConversationKey,
    clear_dialog,
    load_dialog,
    save_dialog,
)

PENDING_ANSWER = "resolve_answer"
STAFF_SLOT = "@staff"  # the per-person slot: no platform conversation has this id
CANCEL_WORDS = frozenset({"abbrechen", "abbruch", "cancel", "stop", "stopp"})


@dataclass(frozen=True)
class PendingAnswer:
    """The answer a staff member owes since pressing "Erledigt" on a ticket's card."""

    ticket_id: int
    since: datetime


def pending_key(actor: Actor) -> ConversationKey:
    """Where a person's pending answer is kept, whichever conversation they type in."""
    return ConversationKey(actor.platform, STAFF_SLOT, actor.user_id)


class CardActions:
    """Turns card button presses into the team picker and the answer prompt."""

    def __init__(self, config: OrgConfig, service: TicketService, clock: Clock) -> None:
        self.config = config
        self.service = service
        self.clock = clock

    async def pick_team(self, session: AsyncSession, *, ticket_id: int, actor: Actor) -> Notice:
        """The presser's private choice of the team to hand `ticket_id` to."""
        ticket = await self._workable(session, ticket_id, actor, Action.HANDOFF)
        if ticket.confidential:
            raise ComplaintStays("complaints are not handed off", id=ticket.id)
        loc = actor.locale
        choices = tuple(
            Choice(f"handoff:{ticket.id}:{team.id}", team.name.get(loc))
            for team in self.config.teams
            if team.id != ticket.team_id
        )
        return Notice(
            title=t("ticket.title", loc, id=ticket.id),
            text=t("card.pick_team", loc, id=ticket.id),
            choices=choices,
            ticket_id=ticket.id,
            channel_safe=False,
        )

    async def ask_answer(self, session: AsyncSession, *, ticket_id: int, actor: Actor) -> Notice:
        """Remember that the presser's next direct message answers `ticket_id`; ask for it."""
        ticket = await self._workable(session, ticket_id, actor, Action.RESOLVE)
        key = pending_key(actor)
        stored = await load_dialog(session, key=key)
        await save_dialog(
            session,
            key=key,
            seen_version=None if stored is None else stored.version,
            dialog=PENDING_ANSWER,
            state={"ticket": ticket.id},
            at=self.clock.now(),
        )
        text = t("card.answer_prompt", actor.locale, id=ticket.id)
        return Notice(text=text, ticket_id=ticket.id, channel_safe=False)

    async def pending(self, session: AsyncSession, actor: Actor) -> PendingAnswer | None:
        """The answer this person was asked for, unless that request expired."""
        if not permissions.is_staff(self.config, actor):
            return None  # only staff can have pressed "Erledigt": requesters pay no lookup
        stored = await load_dialog(session, key=pending_key(actor))
        if stored is None or stored.dialog != PENDING_ANSWER:
            return None
        if stored.updated_at + self._expires_after < self.clock.now():
            return None
        ticket = stored.state.get("ticket")
        return PendingAnswer(ticket, stored.updated_at) if isinstance(ticket, int) else None

    async def answer(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, text: str
    ) -> list[Notice]:
        """The pending answer arrived (or "abbrechen"): resolve the ticket with it."""
        await clear_dialog(session, key=pending_key(actor))
        if text.strip().casefold() in CANCEL_WORDS:
            return [Notice(text=t("card.answer_cancelled", actor.locale, id=ticket_id))]
        await self.service.resolve(session, ticket_id=ticket_id, actor=actor, answer=text)
        return [Notice(text=t("cmd.resolve_ok", actor.locale, id=ticket_id), ticket_id=ticket_id)]

    async def cancel(self, session: AsyncSession, actor: Actor) -> int | None:
        """Drop a pending answer (the /abbrechen command); the ticket it was for, if any."""
        owed = await self.pending(session, actor)
        if owed is None:
            return None
        await clear_dialog(session, key=pending_key(actor))
        return owed.ticket_id

    @property
    def _expires_after(self) -> timedelta:
        return self.config.dialogs.timeout

    async def _workable(
        self, session: AsyncSession, ticket_id: int, actor: Actor, action: Action
    ) -> TicketRow:
        """The ticket, if `actor` may work on it and `action` is possible now (else raise)."""
        ticket = await self.service.get(session, ticket_id)
        if permissions.worker_on(self.config, actor, ticket) is None:
            raise NotAllowed("may not work on this ticket", id=ticket.id, team=ticket.team_id)
        status = TicketStatus(ticket.status)
        if action is Action.RESOLVE and status in (TicketStatus.QUEUED, TicketStatus.REOPENED):
            return ticket  # resolving an unclaimed ticket claims it first
        next_status(status, action)  # raises IllegalTransition with the status named
        return ticket
