"""Giving a ticket to a named colleague of its team (/zuweisen), with a handover note.

Tickets live in team queues (the concept: no personal customer assignments), so a ticket
is only ever given within its circle: its team's members, a complaint's managers. Anyone
who may work on it may give it (its team, the department leadership, admins; for a
complaint its managers). An unclaimed ticket becomes claimed for the colleague, a claimed
one changes hands in its status.

Who hears what: the colleague gets a DM with the note; a previous holder is told it
changed hands; the channel card shows the new holder and the note. The requester is told
exactly what a claim by that colleague would tell them: who works on it now; never who
gave it, never the note. So the action's own event (the requester's) holds the assignee
and the previous holder, the note is a team note of its own (bot/domain/audience.py).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import Person
from bot.domain.audience import EventAudience
from bot.domain.errors import AlreadyAssigned, NotTeamMember
from bot.domain.lifecycle import Action, TicketStatus
from bot.i18n import t
from bot.kernel.markup import literal
from bot.kernel.notices import Outgoing
from bot.service import assignees, deadlines, feedback, notify
from bot.service.actors import Actor
from bot.service.ticket_base import TicketServiceBase
from storage.models import TicketRow

HELD = (TicketStatus.CLAIMED.value, TicketStatus.WAITING_FOR_CUSTOMER.value)


class TicketAssignments(TicketServiceBase):
    """/zuweisen: the ticket service's part that gives tickets to named colleagues."""

    async def assign(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, whom: str
    ) -> tuple[TicketRow, Person]:
        """Give the ticket to the colleague `whom` starts with; the rest of `whom` is the
        handover note. Returns the ticket and the colleague."""
        ticket, person = await self._for_worker(session, ticket_id, actor)
        circle = assignees.eligible(self.config, ticket)
        named = assignees.resolve(self.config, whom, circle, ticket_id=ticket.id)
        target, note = named.person, named.note
        if target.id not in {member.id for member in circle}:
            raise NotTeamMember(
                "not in the ticket's team",
                id=ticket.id,
                who=literal(target.display_name),
                team=self._circle_name(ticket, actor.locale),
                known=assignees.listing(circle),
            )
        previous = ticket.assignee if ticket.status in HELD else None
        if previous == target.id:
            raise AlreadyAssigned(
                "already assigned", id=ticket.id, who=literal(target.display_name)
            )
        action = Action.REASSIGN if ticket.status in HELD else Action.ASSIGN
        before = self._move(ticket, action)
        ticket.assignee = target.id
        now = self.clock.now()
        deadlines.record_first_response(ticket, now)
        if ticket.paused_at is None:  # waiting for the requester: their clocks stay paused
            deadlines.touch_update_clock(self.config, ticket, now)
        data = {"assignee": target.id, "was": previous}  # named to the requester anyway
        await self._record(
            session, ticket, action, before, actor, person, data, audience=EventAudience.REQUESTER
        )
        await self._staff_note(session, ticket, actor, person, about=action, text=note)
        await self._tell(session, ticket, "ticket.claimed", agent=target.display_name)
        await self._tell_colleagues(session, ticket, person, target, previous, note)
        await self._update_card(session, ticket)
        return ticket, target

    async def _tell_colleagues(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        giver: Person,
        target: Person,
        previous: str | None,
        note: str,
    ) -> None:
        """A DM to the new holder and one to the previous holder, unless they gave it."""
        said = "\n\n" + feedback.handover_note(self.config, giver.id, note) if note else ""
        messages: list[Outgoing] = []
        if target.id != giver.id:
            dm = feedback.to_staff(
                self.config,
                ticket,
                "staff.assigned",
                who=literal(giver.display_name),
                note=said,
                description=feedback.description_markup(ticket, self.config.default_locale),
            )
            messages += [Outgoing(to, dm) for to in self._person_targets(target.id)]
        if previous is not None and previous != giver.id:
            dm = feedback.to_staff(
                self.config,
                ticket,
                "staff.assigned_away",
                who=literal(giver.display_name),
                agent=literal(target.display_name),
                note=said,
            )
            messages += [Outgoing(to, dm) for to in self._person_targets(previous)]
        await notify.send(session, messages, at=self.clock.now())

    def _circle_name(self, ticket: TicketRow, locale: str) -> str:
        if ticket.confidential:
            return t("assign.complaint_circle", locale)
        return self.config.team(ticket.team_id).name.get(locale)
