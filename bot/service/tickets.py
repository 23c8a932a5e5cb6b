"""The ticket service: open, claim, hand off, ask, resolve ... one transaction per call.

Each operation checks the state machine and the actor's role, moves the SLA clocks,
appends to the audit trail, and writes the resulting notices into the outbox, all in the
caller's session. The caller commits; the outbox sender delivers afterwards. User text
enters notices only through `literal`, so it can never inject markup. Each event names
its audience (bot/domain/audience.py): an action's own event is the requester's and holds
only what they may see; staff-only words go into a note of their own (`_staff_note`).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.audience import EventAudience, internal
from bot.domain.errors import (
    AlreadyAcknowledged,
    AlreadyClaimed,
    ClaimFirst,
    ComplaintStays,
    NotAllowed,
    NotEscalated,
    SameTeam,
    UnknownTeam,
)
from bot.domain.lifecycle import Action, TicketStatus
from bot.domain.requests import NewRequest
from bot.i18n.formatting import format_moment
from bot.kernel.markup import literal
from bot.kernel.notices import Outgoing
from bot.people.present import deputy_lead_on
from bot.service import complaint_relay, deadlines, feedback, notify, permissions, satisfaction
from bot.service.actors import Actor, display_name
from bot.service.appointments import Appointments
from bot.service.ticket_assign import TicketAssignments
from storage.models import TicketRow
from storage.repositories import prompts, trail
from storage.repositories import tickets as repo

REQUESTER = EventAudience.REQUESTER  # the action's own event: the requester sees it


class TicketService(TicketAssignments):
    """Every change to a ticket goes through here (giving it to a named colleague: the
    part in bot/service/ticket_assign.py)."""

    async def open_ticket(
        self, session: AsyncSession, *, requester: Actor, request: NewRequest
    ) -> TicketRow:
        """Create a ticket in the topic's team queue and tell requester and team."""
        now = self.clock.now()
        topic = self.config.topic(request.topic_id)
        team = self.config.team(request.team_id or topic.team)
        ticket = TicketRow(
            status=TicketStatus.NEW.value,
            topic_id=topic.id,
            customer_group_id=request.customer_group_id,
            team_id=team.id,
            level=int(team.level),
            escalation_level=0,
            confidential=topic.is_confidential,
            anonymous=request.anonymous and topic.is_confidential,
            description=request.description,
            description_event=request.source_event,
            reference=request.reference,
            requester_platform=requester.platform,
            requester_id=requester.user_id,
            requester_name=requester.display_name,
            requester_locale=requester.locale,
            channel=request.channel,
            created_at=now,
            updated_at=now,
            queued_at=now,
        )
        await repo.add_ticket(session, row=ticket)
        before = self._move(ticket, Action.QUEUE)
        deadlines.start_clocks(self.config, ticket, now)
        data = {"team": team.id, "anonymous": ticket.anonymous}
        await self._record(
            session, ticket, Action.QUEUE, before, requester, None, data, audience=REQUESTER
        )
        await self._tell(
            session, ticket, "ticket.queued_complaint" if ticket.confidential else "ticket.queued"
        )
        await self._post_card(session, ticket)
        return ticket

    async def claim(self, session: AsyncSession, *, ticket_id: int, actor: Actor) -> TicketRow:
        """A team member takes the ticket (Übernehmen)."""
        ticket, person = await self._for_worker(session, ticket_id, actor)
        if ticket.status == TicketStatus.CLAIMED.value and ticket.assignee is not None:
            who = display_name(self.config, ticket.assignee)
            raise AlreadyClaimed("already claimed", id=ticket.id, who=who)
        before = self._move(ticket, Action.CLAIM)
        ticket.assignee = person.id
        now = self.clock.now()
        deadlines.record_first_response(ticket, now)
        deadlines.touch_update_clock(self.config, ticket, now)
        await self._record(
            session, ticket, Action.CLAIM, before, actor, person, {}, audience=REQUESTER
        )
        await self._tell(session, ticket, "ticket.claimed", agent=person.display_name)
        await self._update_card(session, ticket)
        return ticket

    async def unclaim(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, note: str = ""
    ) -> TicketRow:
        """Give the ticket back to the team queue; `note`, a handover note for whoever takes
        it next, is the team's: on the card and in the staff's history only."""
        ticket, person = await self._for_worker(session, ticket_id, actor)
        before = self._move(ticket, Action.UNCLAIM)
        previous, ticket.assignee = ticket.assignee, None
        data = {"was": previous}  # whom the requester was told had it
        await self._record(
            session, ticket, Action.UNCLAIM, before, actor, person, data, audience=REQUESTER
        )
        await self._staff_note(session, ticket, actor, person, about=Action.UNCLAIM, text=note)
        await self._tell(session, ticket, "ticket.unclaimed")
        await self._update_card(session, ticket)
        return ticket

    async def handoff(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, team_id: str, reason: str
    ) -> TicketRow:
        """Abgabe: move the ticket to another team's queue (and that team's level)."""
        ticket, person = await self._for_worker(session, ticket_id, actor)
        if ticket.confidential:
            raise ComplaintStays("complaints are not handed off", id=ticket.id)
        if team_id == ticket.team_id:
            raise SameTeam("same team", id=ticket.id)
        try:
            target = self.config.team(team_id)
        except KeyError:
            known = ", ".join(team.id for team in self.config.teams)
            raise UnknownTeam(team_id, team=literal(team_id), known=known) from None
        before = self._move(ticket, Action.HANDOFF)
        source = self.config.team(ticket.team_id)
        source_card = feedback.card_key(ticket)
        ticket.queued_at = self.clock.now()
        ticket.team_id, ticket.level, ticket.assignee = target.id, int(target.level), None
        if ticket.paused_at is not None:  # handed off while waiting: the clocks run again
            deadlines.resume_clocks(self.config, ticket, self.clock.now())
        deadlines.restart_reaction(self.config, ticket, self.clock.now())
        data = {"from_team": source.id, "to_team": target.id}
        await self._record(
            session, ticket, Action.HANDOFF, before, actor, person, data, audience=REQUESTER
        )
        await self._staff_note(session, ticket, actor, person, about=Action.HANDOFF, text=reason)
        await self._tell(session, ticket, "ticket.handed_off", level=int(target.level))
        await Appointments(self.config, self.clock).end_with_ticket(session, ticket, why="handoff")
        await self._update_card(session, ticket, channel_team=source.id, card=source_card)
        question, answer = await _last_question(session, ticket.id)
        note = feedback.handoff_note(
            self.config, source.id, reason, question=question, answer=answer
        )
        await self._post_card(session, ticket, note=note)
        return ticket

    async def ask(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, question: str
    ) -> TicketRow:
        """Question back to the requester (Rückfrage); the SLA clock pauses until they answer."""
        ticket, person = await self._for_worker(session, ticket_id, actor)
        if ticket.status in (TicketStatus.QUEUED.value, TicketStatus.REOPENED.value):
            raise ClaimFirst("ask before claim", id=ticket.id)
        before = self._move(ticket, Action.ASK)
        now = self.clock.now()
        deadlines.record_first_response(ticket, now)
        deadlines.touch_update_clock(self.config, ticket, now)  # a public reply
        deadlines.pause_clocks(self.config, ticket, now)
        data = {"text": question}  # sent to the requester
        await self._record(
            session, ticket, Action.ASK, before, actor, person, data, audience=REQUESTER
        )
        await self._tell(session, ticket, "ticket.asked", question=literal(question))
        await self._update_card(session, ticket)
        return ticket

    async def customer_reply(
        self,
        session: AsyncSession,
        *,
        ticket_id: int,
        actor: Actor,
        text: str,
        followed: bool = True,
    ) -> TicketRow:
        """The requester answered a question back: the clock resumes, the assignee hears of it.
        `followed`: their further messages go to this ticket (no other dialog holds the chat),
        which the thanks then says."""
        ticket = await self.get(session, ticket_id)
        self._require_requester(ticket, actor)
        before = self._move(ticket, Action.CUSTOMER_REPLY)
        now = self.clock.now()
        deadlines.resume_clocks(self.config, ticket, now)
        data = {"text": text}
        await self._record(
            session, ticket, Action.CUSTOMER_REPLY, before, actor, None, data, audience=REQUESTER
        )
        thanks = "ticket.reply_received" if followed else "ticket.reply_received_dialog_goes_on"
        await self._tell(session, ticket, thanks)
        await complaint_relay.answered(session, self.config, self.clock, ticket, text)
        await self._update_card(session, ticket)
        if ticket.assignee is not None:
            dm = feedback.to_staff(
                self.config, ticket, "staff.customer_replied", text=literal(text)
            )
            targets = await self._worker_targets(session, ticket, ticket.assignee)
            await notify.send(session, [Outgoing(target, dm) for target in targets], at=now)
        return ticket

    async def add_info(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, text: str
    ) -> TicketRow:
        """The requester adds to an open ticket (a second message after a reply, say)."""
        ticket = await self.get(session, ticket_id)
        self._require_requester(ticket, actor)
        before = self._move(ticket, Action.CUSTOMER_INFO)
        data = {"text": text}
        await self._record(
            session, ticket, Action.CUSTOMER_INFO, before, actor, None, data, audience=REQUESTER
        )
        await self._tell(session, ticket, "ticket.info_added")
        if ticket.assignee is not None:
            dm = feedback.to_staff(self.config, ticket, "staff.customer_info", text=literal(text))
            targets = await self._worker_targets(session, ticket, ticket.assignee)
            await notify.send(
                session, [Outgoing(target, dm) for target in targets], at=self.clock.now()
            )
        return ticket

    async def resolve(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, answer: str
    ) -> TicketRow:
        """The team answers the request; the requester receives the answer."""
        ticket, _ = await self.resolve_noted(
            session, ticket_id=ticket_id, actor=actor, answer=answer
        )
        return ticket

    async def resolve_noted(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, answer: str
    ) -> tuple[TicketRow, str | None]:
        """`resolve`, and what became of the ticket's appointment: its time ("" for a
        withdrawn proposal; None: there was none), for the agent's confirmation."""
        ticket, person = await self._for_worker(session, ticket_id, actor)
        if ticket.status in (TicketStatus.QUEUED.value, TicketStatus.REOPENED.value):
            await self.claim(session, ticket_id=ticket_id, actor=actor)
        before = self._move(ticket, Action.RESOLVE)
        now = self.clock.now()
        ticket.resolved_at = now
        deadlines.record_first_response(ticket, now)
        deadlines.stop_clocks(ticket)
        data = {"text": answer}  # sent to the requester
        await self._record(
            session, ticket, Action.RESOLVE, before, actor, person, data, audience=REQUESTER
        )
        await self._tell(session, ticket, "ticket.resolved", answer=literal(answer))
        appointments = Appointments(self.config, self.clock)
        ended = await appointments.end_with_ticket(session, ticket, by=person.id)
        target = feedback.requester_target(ticket)
        if target is not None:  # a caller without a chat account is not surveyed
            question = await satisfaction.ask(session, ticket, now)
            await notify.send(session, [Outgoing(target, question)], at=now)
        await self._update_card(session, ticket)
        return ticket, ended

    async def reopen(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, reason: str
    ) -> TicketRow:
        """A resolved ticket comes back (by its requester or its team) with fresh deadlines."""
        ticket = await self.get(session, ticket_id)
        person = self._requester_or_worker(ticket, actor)
        before = self._move(ticket, Action.REOPEN)
        ticket.resolved_at, ticket.assignee, ticket.first_responded_at = None, None, None
        ticket.queued_at = self.clock.now()
        deadlines.start_clocks(self.config, ticket, self.clock.now())
        await prompts.close_for_ticket(
            session,
            kind=satisfaction.RATING,
            ticket_id=ticket.id,
            outcome="reopened",
            at=self.clock.now(),
        )
        # The requester's own reason is theirs to see; a staff member's is for staff.
        data = {"text": reason} if person is None else {}
        await self._record(
            session, ticket, Action.REOPEN, before, actor, person, data, audience=REQUESTER
        )
        if person is not None:
            await self._staff_note(session, ticket, actor, person, about=Action.REOPEN, text=reason)
        await self._tell(session, ticket, "ticket.reopened")
        await self._post_card(session, ticket, note=literal(reason))
        return ticket

    async def close(self, session: AsyncSession, *, ticket_id: int, actor: Actor) -> TicketRow:
        """Close a resolved ticket for good."""
        ticket = await self.get(session, ticket_id)
        person = self._requester_or_worker(ticket, actor)
        before = self._move(ticket, Action.CLOSE)
        ticket.closed_at = self.clock.now()
        deadlines.stop_clocks(ticket)
        await self._record(
            session, ticket, Action.CLOSE, before, actor, person, {}, audience=REQUESTER
        )
        await Appointments(self.config, self.clock).end_with_ticket(session, ticket)
        return ticket

    async def withdraw(self, session: AsyncSession, *, ticket_id: int, actor: Actor) -> TicketRow:
        """The requester no longer needs an answer."""
        ticket = await self.get(session, ticket_id)
        self._require_requester(ticket, actor)
        before = self._move(ticket, Action.WITHDRAW)
        ticket.closed_at = self.clock.now()
        deadlines.stop_clocks(ticket)
        await self._record(
            session, ticket, Action.WITHDRAW, before, actor, None, {}, audience=REQUESTER
        )
        await self._tell(session, ticket, "ticket.withdrawn")
        await Appointments(self.config, self.clock).end_with_ticket(session, ticket)
        await self._update_card(session, ticket)
        return ticket

    async def note(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, text: str
    ) -> TicketRow:
        """An internal note: in the audit trail, never shown to the requester."""
        ticket, person = await self._for_worker(session, ticket_id, actor)
        before = self._move(ticket, Action.NOTE)
        data = {"text": text}
        audience = internal(confidential=ticket.confidential)
        await self._record(
            session, ticket, Action.NOTE, before, actor, person, data, audience=audience
        )
        return ticket

    async def acknowledge(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor
    ) -> TicketRow:
        """A lead takes note of an escalation: recorded, and its repeats stop."""
        ticket = await self.get(session, ticket_id)
        person = permissions.lead_on(self.config, actor, ticket) or await deputy_lead_on(
            session, self.config, actor, ticket, self.clock.now()
        )  # the deputy of an absent lead receives the escalation, so may take note of it
        if person is None:
            raise NotAllowed("not a lead of this ticket", id=ticket.id)
        if ticket.escalation_level == 0:
            raise NotEscalated("not escalated", id=ticket.id)
        if ticket.escalation_acked_at is not None:
            tz = ZoneInfo(self.config.calendar.timezone)
            raise AlreadyAcknowledged(
                "already acknowledged",
                id=ticket.id,
                who=display_name(self.config, ticket.escalation_acked_by),
                when=format_moment(ticket.escalation_acked_at, actor.locale, tz),
            )
        before = self._move(ticket, Action.ACKNOWLEDGE)
        ticket.escalation_acked_at, ticket.escalation_acked_by = self.clock.now(), person.id
        data = {"level": ticket.escalation_level}
        audience = internal(confidential=ticket.confidential, leads=True)
        await self._record(
            session, ticket, Action.ACKNOWLEDGE, before, actor, person, data, audience=audience
        )
        return ticket


async def _last_question(session: AsyncSession, ticket_id: int) -> tuple[str | None, str | None]:
    """The last question back to the requester and their answer to it (None: none yet), so
    the team a ticket is handed to does not ask again. The answer is the requester's first
    message after the question: their reply, or what they added once it was handed on."""
    question = answer = None
    said = (Action.CUSTOMER_REPLY.value, Action.CUSTOMER_INFO.value)
    for event in await trail.ticket_events(session, ticket_id=ticket_id):
        text = event.data.get("text")
        if event.action == Action.ASK.value:
            question, answer = (str(text) if text is not None else None), None
        elif event.action in said and question is not None and answer is None:
            answer = str(text) if text is not None else None
    return question, answer
