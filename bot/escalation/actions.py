"""Firing one due item of the sweep: record it under its unique key, then enqueue its notices.

Both happen in the caller's transaction. If the key is already recorded (another instance
or an earlier run got there first), nothing is sent. Notices carry an outbox dedupe key
derived from the step key as a second guard.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import Person
from bot.domain.audience import EventAudience, internal
from bot.domain.lifecycle import Action
from bot.escalation.bundle_entries import bundle_entry
from bot.escalation.messages import SYSTEM_PLATFORM, SweepMessages
from bot.escalation.plan import Item, deadlines
from bot.kernel.notices import Notice, Outgoing, Target
from bot.people.present import present
from bot.service import notify, permissions
from bot.service.actors import Actor
from bot.service.ticket_base import TicketServiceBase
from storage.models import TicketRow
from storage.repositories import escalation as steps_repo
from storage.repositories import trail

SWEEP_ACTOR = Actor(platform=SYSTEM_PLATFORM, user_id="deadline-sweep", display_name="Hotline-Bot")


class DeadlineActions(TicketServiceBase):
    """Carries out reminders, breach notices, escalations, interim messages and claim leases."""

    @property
    def messages(self) -> SweepMessages:
        """The notice builder (cheap; built on use so tests may swap the config)."""
        return SweepMessages(self.config)

    async def fire(
        self, session: AsyncSession, ticket: TicketRow, item: Item, *, quiet: bool = False
    ) -> bool:
        """Record and carry out `item`; False if another sweeper already did.

        A `quiet` step (found late: the bot was down) changes the ticket's state but sends
        nothing; it is recorded as missed, for the leads' catch-up report.
        """
        now = self.clock.now()
        step_id = item.step.id if item.step else item.kind
        action = item.step.action if item.step else item.kind
        recorded = await steps_repo.record_step(
            session,
            key=item.key,
            ticket_id=ticket.id,
            step=step_id,
            action=action,
            due_at=item.moment,
            fired_at=now,
            missed=quiet,
            recipients={"deadline": item.step.deadline if item.step else None},
        )
        if not recorded:
            return False
        send = _Sender(session, item.key, now, quiet, bundle_entry(self.config, ticket, item, now))
        if item.kind == "interim":
            claimed = ticket.assignee is not None  # nobody "works on it" before a claim
            await self._tell(
                session, ticket, "ticket.interim" if claimed else "ticket.interim_unclaimed"
            )
        elif item.kind == "lease":
            await self._release(session, ticket, send)
        elif item.kind == "repeat" or action == "escalate":
            await self._escalate(session, ticket, item, send, quiet=quiet)
        elif action == "remind":
            await self._remind(session, ticket, item, send, quiet=quiet)
        else:
            await self._notify_lead(session, ticket, item, send, quiet=quiet)
        return True

    async def _remind(
        self, session: AsyncSession, ticket: TicketRow, item: Item, send: _Sender, *, quiet: bool
    ) -> None:
        due = self._due(ticket, item)
        if ticket.assignee is not None:
            notice = self.messages.remind_assignee(ticket, self.clock.now(), due)
            await send(await self._assignee_targets(session, ticket), notice)
            to: dict[str, Any] = {"assignee": ticket.assignee}
        elif ticket.confidential:
            notice = self.messages.remind_assignee(ticket, self.clock.now(), due)
            managers = permissions.complaint_managers(self.config)
            await send(await self._asked(session, managers), notice)
            to = {"complaint_managers": True}
        else:
            notice = self.messages.remind_channel(ticket, self.clock.now(), due)
            await send(
                notify.channel_targets(self.config, self.config.team(ticket.team_id)), notice
            )
            to = {"channel": ticket.team_id}
        await self._audit(session, ticket, Action.REMIND, item, quiet, to, leads=False)

    async def _notify_lead(
        self, session: AsyncSession, ticket: TicketRow, item: Item, send: _Sender, *, quiet: bool
    ) -> None:
        due, now = self._due(ticket, item), self.clock.now()
        if ticket.confidential:
            managers = permissions.complaint_managers(self.config)
            await send(
                await self._asked(session, managers), self.messages.breach_lead(ticket, now, due)
            )
        else:
            team = self.config.team(ticket.team_id)
            await send(
                notify.channel_targets(self.config, team),
                self.messages.breach_channel(ticket, now, due),
            )
            await send(
                await self._asked(session, team.lead_people()),
                self.messages.breach_lead(ticket, now, due),
            )
        to = {"leads": ticket.team_id}
        await self._audit(session, ticket, Action.REMIND, item, quiet, to, leads=True)

    async def _escalate(
        self, session: AsyncSession, ticket: TicketRow, item: Item, send: _Sender, *, quiet: bool
    ) -> None:
        now = self.clock.now()
        if item.kind == "repeat":
            ticket.escalation_repeats = item.repeat
        else:
            ticket.escalation_level += 1
            ticket.escalated_at, ticket.escalation_repeats = now, 0
            ticket.escalation_acked_at = ticket.escalation_acked_by = None
            ticket.escalation_step = item.step.id if item.step else None
        events = await trail.ticket_events(session, ticket_id=ticket.id)  # for the leads
        deadline = item.step.deadline if item.step else None
        notice = self.messages.escalation(
            ticket,
            now,
            deadline=deadline,
            due=self._due(ticket, item) if item.step else None,
            repeat=item.repeat,
            events=events,
        )
        await send(await self._asked(session, self.escalation_readers(ticket)), notice)
        if item.kind == "step" and not ticket.confidential:
            team = self.config.team(ticket.team_id)
            channel = notify.channel_targets(self.config, team)
            await send(channel, self.messages.escalation_channel(ticket))
        data = {"level": ticket.escalation_level, "repeat": item.repeat}
        await self._audit(session, ticket, Action.ESCALATE, item, quiet, data, leads=True)

    async def _release(self, session: AsyncSession, ticket: TicketRow, send: _Sender) -> None:
        """The claim lease ran out: back to the queue, a handover note, a word to the claimer."""
        previous = ticket.assignee or "-"
        since = ticket.worked_at or ticket.updated_at
        before = self._move(ticket, Action.UNCLAIM)
        ticket.assignee = None
        data = {"was": previous, "reason": "claim_lease"}  # the requester hears of it, too
        await self._record(
            session,
            ticket,
            Action.UNCLAIM,
            before,
            SWEEP_ACTOR,
            None,
            data,
            audience=EventAudience.REQUESTER,
        )
        await self._tell(session, ticket, "ticket.unclaimed")
        if not ticket.confidential:
            note = self.messages.lease_channel_note(ticket, previous, since)
            await self._post_card(session, ticket, note=note)
        await send(
            await self._worker_targets(session, ticket, previous),
            self.messages.lease_claimer(ticket, self.clock.now(), since),
        )

    async def _audit(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        action: Action,
        item: Item,
        quiet: bool,
        data: dict[str, Any],
        *,
        leads: bool,
    ) -> None:
        """A sweep step's event: for the team (a reminder) or the leads (a breach notice, an
        escalation); a complaint's for its managers. Never the requester's."""
        step = item.step.id if item.step else item.kind
        details = {"step": step, "missed": quiet, **data}
        audience = internal(confidential=ticket.confidential, leads=leads)
        await self._record(
            session, ticket, action, ticket.status, SWEEP_ACTOR, None, details, audience=audience
        )

    def escalation_readers(self, ticket: TicketRow) -> tuple[Person, ...]:
        """The department leadership; for a complaint only the complaint managers (complaints
        are handled centrally and confidentially, never outside that circle)."""
        if ticket.confidential:
            return permissions.complaint_managers(self.config)
        return self.leadership()

    def leadership(self) -> tuple[Person, ...]:
        """Who receives escalations: the department leadership's leads (else all its members,
        else, without a leadership team, the team leads of level 1)."""
        team = self.config.leadership_team() or self.config.first_level_team()
        return team.lead_people() or team.members

    async def _assignee_targets(self, session: AsyncSession, ticket: TicketRow) -> list[Target]:
        """The assignee on the platform they work on the ticket from; while they are away,
        whoever stands in for them (on every platform the stand-in is known on)."""
        assignee = self.config.person(ticket.assignee) if ticket.assignee else None
        if assignee is None:
            return []
        asked = await present(session, self.config, (assignee,), self.clock.now())
        if asked == (assignee,):
            return await self._worker_targets(session, ticket, assignee.id)
        return self._people(asked)

    async def _asked(self, session: AsyncSession, people: tuple[Person, ...]) -> list[Target]:
        """The targets of `people`, with whoever is away now replaced by their stand-in
        (bot/people/availability.py: deputy, team lead, department leadership)."""
        return self._people(await present(session, self.config, people, self.clock.now()))

    def _people(self, people: tuple[Person, ...]) -> list[Target]:
        return [
            target for person in people for target in notify.person_targets(self.config, person)
        ]

    def _due(self, ticket: TicketRow, item: Item) -> datetime:
        running = deadlines(ticket)[item.step.deadline] if item.step else None
        return item.moment if running is None else running[0]


class _Sender:
    """Enqueues a step's notices under dedupe keys derived from the step key; its DMs carry
    the ticket's bundle entry, so that many of them reach a person as one message."""

    def __init__(
        self,
        session: AsyncSession,
        key: str,
        now: datetime,
        quiet: bool,
        bundle: dict[str, Any] | None = None,
    ) -> None:
        self.session, self.key, self.now, self.quiet = session, key, now, quiet
        self.bundle = bundle
        self.count = 0

    async def __call__(self, targets: list[Target], notice: Notice) -> None:
        if self.quiet or not targets:
            return
        prefix = f"sweep:{self.key}:{self.count}"
        self.count += 1
        outgoing = [Outgoing(target, notice) for target in targets]
        await notify.send(
            self.session, outgoing, at=self.now, dedupe_prefix=prefix, bundle=self.bundle
        )
