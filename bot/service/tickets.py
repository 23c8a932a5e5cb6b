"""The ticket service: open, claim, hand off, ask, resolve ... one transaction per call.

Each operation checks the state machine and the actor's role, moves the SLA clocks,
appends to the audit trail, and writes the resulting notices into the outbox, all in the
caller's session. The caller commits; the outbox sender delivers afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from bot.clock import Clock
from bot.config.model import OrgConfig, Person
from bot.domain.errors import (
    AlreadyClaimed,
    ConcurrentUpdate,
    NotAllowed,
    SameTeam,
    TicketNotFound,
    UnknownTeam,
)
from bot.domain.lifecycle import Action, TicketStatus, next_status
from bot.i18n import t
from bot.notices import Notice, Outgoing, Target
from bot.service import deadlines, feedback, notify
from bot.service.actors import Actor, display_name
from storage.models import TicketRow
from storage.repositories import tickets as repo


@dataclass(frozen=True)
class NewRequest:
    """What the intake collected."""

    topic_id: str
    customer_group_id: str | None
    description: str
    reference: str | None = None


class TicketService:
    """Every change to a ticket goes through here."""

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    async def open_ticket(
        self, session: AsyncSession, *, requester: Actor, request: NewRequest
    ) -> TicketRow:
        """Create a ticket in the topic's team queue and tell requester and team."""
        now = self.clock.now()
        topic = self.config.topic(request.topic_id)
        team = self.config.team(topic.team)
        ticket = TicketRow(
            status=TicketStatus.NEW.value,
            topic_id=topic.id,
            customer_group_id=request.customer_group_id,
            team_id=team.id,
            level=int(team.level),
            escalation_level=0,
            confidential=topic.confidential,
            description=request.description,
            reference=request.reference,
            requester_platform=requester.platform,
            requester_id=requester.user_id,
            requester_name=requester.display_name,
            requester_locale=requester.locale,
            created_at=now,
            updated_at=now,
        )
        await repo.add_ticket(session, row=ticket)
        before = self._move(ticket, Action.QUEUE)
        deadlines.start_clocks(self.config, ticket, now)
        await self._record(
            session, ticket, Action.QUEUE, before, requester, None, {"team": team.id}
        )
        await self._tell(session, ticket, "ticket.queued", team_post=True)
        return ticket

    async def claim(self, session: AsyncSession, *, ticket_id: int, actor: Actor) -> TicketRow:
        """A team member takes the ticket (Übernehmen)."""
        ticket, person = await self._for_member(session, ticket_id, actor)
        if ticket.status == TicketStatus.CLAIMED.value and ticket.assignee is not None:
            who = display_name(self.config, ticket.assignee)
            raise AlreadyClaimed("already claimed", id=ticket.id, who=who)
        before = self._move(ticket, Action.CLAIM)
        ticket.assignee = person.id
        now = self.clock.now()
        deadlines.record_first_response(ticket, now)
        deadlines.touch_update_clock(self.config, ticket, now)
        await self._record(session, ticket, Action.CLAIM, before, actor, person, {})
        name = person.display_name
        await self._tell(session, ticket, "ticket.claimed", agent=name)
        await self._channel(session, ticket, "channel.claimed", agent=name)
        return ticket

    async def unclaim(self, session: AsyncSession, *, ticket_id: int, actor: Actor) -> TicketRow:
        """Give the ticket back to the team queue."""
        ticket, person = await self._for_member(session, ticket_id, actor)
        before = self._move(ticket, Action.UNCLAIM)
        previous = ticket.assignee
        ticket.assignee = None
        await self._record(
            session, ticket, Action.UNCLAIM, before, actor, person, {"was": previous}
        )
        await self._tell(session, ticket, "ticket.unclaimed")
        await self._channel(session, ticket, "channel.unclaimed", agent=person.display_name)
        return ticket

    async def handoff(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, team_id: str, reason: str
    ) -> TicketRow:
        """Abgabe: move the ticket to another team's queue (and that team's level)."""
        ticket, person = await self._for_member(session, ticket_id, actor)
        if team_id == ticket.team_id:
            raise SameTeam("same team", id=ticket.id)
        try:
            target = self.config.team(team_id)
        except KeyError:
            known = ", ".join(team.id for team in self.config.teams)
            raise UnknownTeam(team_id, team=team_id, known=known) from None
        before = self._move(ticket, Action.HANDOFF)
        source = ticket.team_id
        ticket.team_id, ticket.level, ticket.assignee = target.id, int(target.level), None
        deadlines.restart_reaction(self.config, ticket, self.clock.now())
        data = {"from_team": source, "to_team": target.id, "reason": reason}
        await self._record(session, ticket, Action.HANDOFF, before, actor, person, data)
        await self._tell(session, ticket, "ticket.handed_off", level=int(target.level))
        now, locale = self.clock.now(), self.config.default_locale
        source_post = feedback.channel_line(
            self.config, ticket, "channel.handed_off", team=target.name.get(locale)
        )
        note = t(
            "channel.handoff_note",
            locale,
            team=self.config.team(source).name.get(locale),
            reason=reason or "-",
        )
        post = feedback.new_in_queue(self.config, ticket, now, note=note)
        outgoing = self._to_channel(source, source_post) + self._to_channel(target.id, post)
        await notify.send(session, outgoing, at=now)
        return ticket

    async def ask(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, question: str
    ) -> TicketRow:
        """Question back to the requester (Rückfrage); the SLA clock pauses until they answer."""
        ticket, person = await self._for_member(session, ticket_id, actor)
        before = self._move(ticket, Action.ASK)
        deadlines.pause_clocks(self.config, ticket, self.clock.now())
        await self._record(session, ticket, Action.ASK, before, actor, person, {"text": question})
        await self._tell(session, ticket, "ticket.asked", question=question)
        return ticket

    async def customer_reply(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, text: str
    ) -> TicketRow:
        """The requester answered a question back: the clock resumes, the assignee hears of it."""
        ticket = await self.get(session, ticket_id)
        self._require_requester(ticket, actor)
        before = self._move(ticket, Action.CUSTOMER_REPLY)
        now = self.clock.now()
        deadlines.resume_clocks(self.config, ticket, now)
        await self._record(
            session, ticket, Action.CUSTOMER_REPLY, before, actor, None, {"text": text}
        )
        await self._tell(session, ticket, "ticket.reply_received")
        if ticket.assignee is not None:
            dm = feedback.to_staff(self.config, ticket, "staff.customer_replied", text=text)
            for target in self._person_targets(ticket.assignee):
                await notify.send(session, [Outgoing(target, dm)], at=now)
        return ticket

    async def resolve(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, answer: str
    ) -> TicketRow:
        """The team answers the request; the requester receives the answer."""
        ticket, person = await self._for_member(session, ticket_id, actor)
        if ticket.status in (TicketStatus.QUEUED.value, TicketStatus.REOPENED.value):
            await self.claim(session, ticket_id=ticket_id, actor=actor)
        before = self._move(ticket, Action.RESOLVE)
        now = self.clock.now()
        ticket.resolved_at = now
        deadlines.record_first_response(ticket, now)
        deadlines.stop_clocks(ticket)
        await self._record(session, ticket, Action.RESOLVE, before, actor, person, {"text": answer})
        await self._tell(session, ticket, "ticket.resolved", answer=answer)
        await self._channel(session, ticket, "channel.resolved", agent=person.display_name)
        return ticket

    async def reopen(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, reason: str
    ) -> TicketRow:
        """A resolved ticket comes back (by its requester or its team) with fresh deadlines."""
        ticket = await self.get(session, ticket_id)
        person = None
        if not self._is_requester(ticket, actor):
            person = self._member_of_owning_team(ticket, actor)
        before = self._move(ticket, Action.REOPEN)
        ticket.resolved_at, ticket.assignee, ticket.first_responded_at = None, None, None
        deadlines.start_clocks(self.config, ticket, self.clock.now())
        await self._record(session, ticket, Action.REOPEN, before, actor, person, {"text": reason})
        await self._tell(session, ticket, "ticket.reopened")
        post = feedback.new_in_queue(self.config, ticket, self.clock.now(), note=reason)
        await notify.send(session, self._to_channel(ticket.team_id, post), at=self.clock.now())
        return ticket

    async def close(self, session: AsyncSession, *, ticket_id: int, actor: Actor) -> TicketRow:
        """Close a resolved ticket for good."""
        ticket = await self.get(session, ticket_id)
        person = None
        if not self._is_requester(ticket, actor):
            person = self._member_of_owning_team(ticket, actor)
        before = self._move(ticket, Action.CLOSE)
        ticket.closed_at = self.clock.now()
        deadlines.stop_clocks(ticket)
        await self._record(session, ticket, Action.CLOSE, before, actor, person, {})
        return ticket

    async def withdraw(self, session: AsyncSession, *, ticket_id: int, actor: Actor) -> TicketRow:
        """The requester no longer needs an answer."""
        ticket = await self.get(session, ticket_id)
        self._require_requester(ticket, actor)
        before = self._move(ticket, Action.WITHDRAW)
        ticket.closed_at = self.clock.now()
        deadlines.stop_clocks(ticket)
        await self._record(session, ticket, Action.WITHDRAW, before, actor, None, {})
        await self._tell(session, ticket, "ticket.withdrawn")
        await self._channel(session, ticket, "channel.withdrawn")
        return ticket

    async def note(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, text: str
    ) -> TicketRow:
        """An internal note: in the audit trail, never shown to the requester."""
        ticket, person = await self._for_member(session, ticket_id, actor)
        before = self._move(ticket, Action.NOTE)
        data = {"text": text}
        await self._record(session, ticket, Action.NOTE, before, actor, person, data, public=False)
        return ticket

    def _is_requester(self, ticket: TicketRow, actor: Actor) -> bool:
        return (ticket.requester_platform, ticket.requester_id) == (actor.platform, actor.user_id)

    def _require_requester(self, ticket: TicketRow, actor: Actor) -> None:
        if not self._is_requester(ticket, actor):
            raise NotAllowed("not the requester", id=ticket.id)

    def _person_targets(self, person_id: str) -> list[Target]:
        for team in self.config.teams:
            for person in team.members:
                if person.id == person_id:
                    return notify.person_targets(self.config, person)
        return []

    async def _for_member(
        self, session: AsyncSession, ticket_id: int, actor: Actor
    ) -> tuple[TicketRow, Person]:
        ticket = await self.get(session, ticket_id)
        person = self._member_of_owning_team(ticket, actor)
        return ticket, person

    async def get(self, session: AsyncSession, ticket_id: int) -> TicketRow:
        """The ticket or TicketNotFound."""
        ticket = await repo.get_ticket(session, ticket_id=ticket_id)
        if ticket is None:
            raise TicketNotFound(str(ticket_id), id=ticket_id)
        return ticket

    def _member_of_owning_team(self, ticket: TicketRow, actor: Actor) -> Person:
        """Members of the owning team may work on it; so may the department leadership."""
        person = self.config.team(ticket.team_id).person_for(actor.platform, actor.user_id)
        if person is not None:
            return person
        leadership = self.config.leadership_team()
        if leadership is not None:
            person = leadership.person_for(actor.platform, actor.user_id)
            if person is not None:
                return person
        raise NotAllowed("not a member", id=ticket.id, team=ticket.team_id)

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
        public: bool = True,
    ) -> None:
        await self._flush(session)
        await repo.append_event(
            session,
            ticket_id=ticket.id,
            at=self.clock.now(),
            action=action.value,
            from_status=before,
            to_status=ticket.status,
            actor_platform=actor.platform,
            actor_id=actor.user_id,
            actor_person=None if person is None else person.id,
            public=public,
            data=data,
        )

    async def _flush(self, session: AsyncSession) -> None:
        try:
            await session.flush()
        except StaleDataError as error:
            raise ConcurrentUpdate(str(error)) from error

    async def _tell(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        key: str,
        *,
        team_post: bool = False,
        **args: object,
    ) -> None:
        now = self.clock.now()
        notice = feedback.to_requester(self.config, ticket, key, now, **args)
        outgoing = [Outgoing(feedback.requester_target(ticket), notice)]
        if team_post:
            post = feedback.new_in_queue(self.config, ticket, now)
            outgoing += self._to_channel(ticket.team_id, post)
        await notify.send(session, outgoing, at=now)

    async def _channel(
        self, session: AsyncSession, ticket: TicketRow, key: str, **args: object
    ) -> None:
        post = feedback.channel_line(self.config, ticket, key, **args)
        await notify.send(session, self._to_channel(ticket.team_id, post), at=self.clock.now())

    def _to_channel(self, team_id: str, notice: Notice) -> list[Outgoing]:
        team = self.config.team(team_id)
        return notify.to_all(notify.channel_targets(self.config, team), notice)
