"""Shared machinery of the ticket service: loading, permissions, audit trail, publishing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from bot.config.model import OrgConfig, Person
from bot.domain.audience import EventAudience, internal
from bot.domain.errors import ConcurrentUpdate, NotAllowed, NotYourRequest, TicketNotFound
from bot.domain.lifecycle import Action, TicketStatus, next_status
from bot.escalation import plan
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice, Outgoing, Target
from bot.service import deadlines, feedback, notify, permissions
from bot.service.actors import Actor
from bot.sla.calendar import WorkingCalendar
from storage.models import TicketRow
from storage.repositories import tickets as repo
from storage.repositories import trail

# The actions whose staff-only words are a handover note, shown on the ticket's card.
HANDOVERS = (Action.ASSIGN.value, Action.REASSIGN.value, Action.UNCLAIM.value)


class TicketServiceBase:
    """Helpers for `TicketService`; every method works in the caller's transaction."""

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._calendars: dict[str, WorkingCalendar] = {}  # per team; the config is fixed

    async def get(self, session: AsyncSession, ticket_id: int) -> TicketRow:
        """The ticket or TicketNotFound."""
        ticket = await repo.get_ticket(session, ticket_id=ticket_id)
        if ticket is None:
            raise TicketNotFound(str(ticket_id), id=ticket_id)
        return ticket

    async def _for_worker(
        self, session: AsyncSession, ticket_id: int, actor: Actor
    ) -> tuple[TicketRow, Person]:
        ticket = await self.get(session, ticket_id)
        return ticket, self._worker(ticket, actor)

    def _worker(self, ticket: TicketRow, actor: Actor) -> Person:
        person = permissions.worker_on(self.config, actor, ticket)
        if person is None:
            raise NotAllowed("may not work on this ticket", id=ticket.id, team=ticket.team_id)
        return person

    def _requester_or_worker(self, ticket: TicketRow, actor: Actor) -> Person | None:
        if permissions.is_requester_of(actor, ticket):
            return None
        return self._worker(ticket, actor)

    def _require_requester(self, ticket: TicketRow, actor: Actor) -> None:
        if not permissions.is_requester_of(actor, ticket):
            raise NotYourRequest("not the requester", id=ticket.id)

    def _move(self, ticket: TicketRow, action: Action) -> str:
        before = ticket.status
        ticket.status = next_status(TicketStatus(before), action).value
        ticket.updated_at = self.clock.now()
        return before

    async def _record(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        action: Action,
        before: str | None,
        actor: Actor,
        person: Person | None,
        data: dict[str, Any],
        *,
        audience: EventAudience,
    ) -> None:
        """Append the action's event for `audience`: `data` must hold nothing beyond it."""
        worked = person is not None and action is not Action.ACKNOWLEDGE
        if worked or action in (Action.CLAIM, Action.CUSTOMER_REPLY):
            ticket.worked_at = self.clock.now()  # activity: the claim lease starts again
        self._reschedule(ticket)
        await self._flush(session)
        await trail.append_event(
            session,
            ticket_id=ticket.id,
            at=self.clock.now(),
            action=action.value,
            from_status=before,
            to_status=ticket.status,
            actor_platform=actor.platform,
            actor_id=actor.user_id,
            actor_person=None if person is None else person.id,
            audience=audience,
            data=data,
        )

    async def _staff_note(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        actor: Actor,
        person: Person,
        *,
        about: Action,
        text: str,
    ) -> None:
        """Staff-only words given with an action (a handoff's reason): a note of their own
        for the team (a complaint's managers), right after the action's event."""
        if not text:
            return
        await trail.append_event(
            session,
            ticket_id=ticket.id,
            at=self.clock.now(),
            action=Action.NOTE.value,
            from_status=ticket.status,
            to_status=ticket.status,
            actor_platform=actor.platform,
            actor_id=actor.user_id,
            actor_person=person.id,
            audience=internal(confidential=ticket.confidential),
            data={"text": text, "about": about.value},
        )

    def _reschedule(self, ticket: TicketRow) -> None:
        """The ticket changed: when does the deadline sweep next look at it?"""
        calendar = self._calendars.get(ticket.team_id)
        if calendar is None:
            calendar = self._calendars[ticket.team_id] = deadlines.team_calendar(
                self.config, ticket.team_id
            )
        plan.refresh(self.config, ticket, calendar)

    async def _flush(self, session: AsyncSession) -> None:
        try:
            await session.flush()
        except StaleDataError as error:
            raise ConcurrentUpdate(str(error)) from error

    async def _tell(
        self, session: AsyncSession, ticket: TicketRow, key: str, **args: object
    ) -> None:
        """Guaranteed feedback: a message to the requester about this change."""
        notice = feedback.to_requester(self.config, ticket, key, self.clock.now(), **args)
        ticket.requester_informed_at = self.clock.now()
        self._reschedule(ticket)
        await notify.send(
            session, [Outgoing(feedback.requester_target(ticket), notice)], at=self.clock.now()
        )

    async def _post_card(self, session: AsyncSession, ticket: TicketRow, note: str = "") -> None:
        """Announce a ticket in its queue: the team channel, or for complaints the managers' DMs."""
        card = feedback.ticket_card(
            self.config, ticket, self.clock.now(), note=note, private=ticket.confidential
        )
        await notify.send(session, self._queue_targets(ticket, card), at=self.clock.now())

    async def _update_card(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        *,
        channel_team: str | None = None,
        card: str | None = None,
    ) -> None:
        """Re-send the ticket's card to a team channel so it shows the change (edited in place
        where the platform can). Complaints get no updates: no noise, no leaks."""
        if ticket.confidential:
            return
        team = self.config.team(channel_team or ticket.team_id)
        note = "" if card is not None else await self._handover_note(session, ticket)
        post = feedback.ticket_card(
            self.config, ticket, self.clock.now(), channel_team=team.id, card=card, note=note
        )
        targets = notify.channel_targets(self.config, team)
        await notify.send(session, notify.to_all(targets, post), at=self.clock.now())

    async def _handover_note(self, session: AsyncSession, ticket: TicketRow) -> str:
        """The latest handover note (/zuweisen, /unclaim) of the ticket's stay in its queue:
        the card keeps showing it until a newer one replaces it or the ticket moves on."""
        event = await trail.latest_note_about(session, ticket_id=ticket.id, about=HANDOVERS)
        if event is None:
            return ""
        return feedback.handover_note(self.config, event.actor_person, str(event.data["text"]))

    def _queue_targets(self, ticket: TicketRow, notice: Notice) -> list[Outgoing]:
        if ticket.confidential:
            targets = [
                target
                for person in permissions.complaint_managers(self.config)
                for target in notify.person_targets(self.config, person)
            ]
            return notify.to_all(targets, replace(notice, channel_safe=False))
        team = self.config.team(ticket.team_id)
        return notify.to_all(notify.channel_targets(self.config, team), notice)

    def _person_targets(self, person_id: str) -> list[Target]:
        person = self.config.person(person_id)
        return [] if person is None else notify.person_targets(self.config, person)
