"""Firing one due item of the sweep: record it under its unique key, then enqueue its notices.

Both happen in the caller's transaction. If the key is already recorded (another instance
or an earlier run got there first), nothing is sent. Notices carry an outbox dedupe key
derived from the step key as a second guard.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import Person
from bot.domain.audience import EventAudience, internal
from bot.domain.lifecycle import Action
from bot.escalation.batch import Batch
from bot.escalation.bundle_entries import bundle_entry
from bot.escalation.messages import SYSTEM_PLATFORM, SweepMessages
from bot.escalation.plan import Item, deadlines
from bot.kernel.notices import Notice, Outgoing, Target
from bot.people.present import present
from bot.people.schedule import held_until
from bot.service import notify, permissions
from bot.service.actors import Actor
from bot.service.ticket_base import TicketServiceBase
from bot.sla.calendar import WorkingCalendar, calendar_for
from storage.models import TicketEventRow, TicketRow
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
        values: dict[str, Any] = {
            "key": item.key,
            "ticket_id": ticket.id,
            "step": step_id,
            "action": action,
            "due_at": item.moment,
            "fired_at": now,
            "missed": quiet,
            "recipients": {"deadline": item.step.deadline if item.step else None},
        }
        batch = Batch.of(session)
        if batch is not None:
            batch.claim(values)  # claimed with the batch's other steps, in one statement
        elif not await steps_repo.record_step(session, **values):
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
        due, now = self._due(ticket, item), self.clock.now()
        if ticket.assignee is not None:
            notice = self.messages.remind_assignee(ticket, now, due)
            to: dict[str, Any] = await self._remind_assignee(session, ticket, send, notice, due)
        elif ticket.confidential:
            notice = self.messages.remind_assignee(ticket, now, due)
            managers = permissions.complaint_managers(self.config)
            await self._to_people(session, send, ticket, managers, notice)
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
            notice = self.messages.breach_lead(ticket, now, due)
            await self._to_people(session, send, ticket, managers, notice)
        else:
            team = self.config.team(ticket.team_id)
            await send(
                notify.channel_targets(self.config, team),
                self.messages.breach_channel(ticket, now, due),
            )
            notice = self.messages.breach_lead(ticket, now, due)
            await self._to_people(session, send, ticket, team.lead_people(), notice)
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
        events = await self._events(session, ticket)  # for the leads
        deadline = item.step.deadline if item.step else None
        notice = self.messages.escalation(
            ticket,
            now,
            deadline=deadline,
            due=self._due(ticket, item) if item.step else None,
            repeat=item.repeat,
            events=events,
        )
        on_call = not self.config.escalation_policy_for(ticket.team_id).office_hours_only
        readers = self.escalation_readers(ticket)
        await self._to_people(session, send, ticket, readers, notice, hold=not on_call)
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
        claimer = self.config.person(previous)
        if claimer is not None and not send.quiet:
            notice = self.messages.lease_claimer(ticket, self.clock.now(), since)
            # the note is about their own claim: to them (not a stand-in), on the platform
            # they worked on it from, in their hours
            back = await held_until(
                session, self.config, claimer.id, self._calendar(ticket), send.now
            )
            targets = await self._worker_targets(session, ticket, claimer.id)
            await send(targets, notice, hold_until=back)

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

    async def _remind_assignee(
        self, session: AsyncSession, ticket: TicketRow, send: _Sender, notice: Notice, due: datetime
    ) -> dict[str, Any]:
        """The assignee's reminder; returns where it went (for the trail).

        Away: their stand-in gets it, at the stand-in's next working minute. At work but off
        until after the deadline (their hours): the team channel hears now instead, as only
        they could act (a complaint never reaches a channel: its reminder waits)."""
        assignee = self.config.person(ticket.assignee or "")
        if assignee is None or send.quiet:  # unknown, or a step found late: nothing is sent
            return {"assignee": ticket.assignee}
        asked = await self._present(session, (assignee,), send.now)
        if asked != (assignee,):
            await self._dm(session, send, ticket, asked, notice)
            return {"assignee": ticket.assignee}
        back = await held_until(session, self.config, assignee.id, self._calendar(ticket), send.now)
        if back is not None and back >= due and not ticket.confidential:
            off = self.messages.remind_team_assignee_off(ticket, send.now, due, back)
            await send(notify.channel_targets(self.config, self.config.team(ticket.team_id)), off)
            return {"channel": ticket.team_id, "assignee_off": ticket.assignee}
        targets = await self._worker_targets(session, ticket, assignee.id)
        await send(targets, notice, hold_until=back)
        return {"assignee": ticket.assignee}

    async def _to_people(
        self,
        session: AsyncSession,
        send: _Sender,
        ticket: TicketRow,
        people: tuple[Person, ...],
        notice: Notice,
        *,
        hold: bool = True,
    ) -> None:
        """A DM for `people`: first WHO (whoever is away now is replaced by their stand-in,
        bot/people/availability.py), then WHEN (each at their next working minute,
        bot/people/schedule.py). The absent person is never pinged."""
        if send.quiet:  # a step found late sends nothing: no need to ask who or when
            return
        asked = await self._present(session, people, send.now)
        await self._dm(session, send, ticket, asked, notice, hold=hold)

    async def _dm(
        self,
        session: AsyncSession,
        send: _Sender,
        ticket: TicketRow,
        people: tuple[Person, ...],
        notice: Notice,
        *,
        hold: bool = True,
    ) -> None:
        """A DM to each of `people` as they are, waiting for their next working minute;
        `hold` False for on-call escalations, which never wait."""
        for person in people:
            back = None
            if hold:
                calendar = self._calendar(ticket)
                back = await held_until(session, self.config, person.id, calendar, send.now)
            await send(notify.person_targets(self.config, person), notice, hold_until=back)

    async def _present(
        self, session: AsyncSession, people: tuple[Person, ...], at: datetime
    ) -> tuple[Person, ...]:
        batch = Batch.of(session)
        if batch is None:
            return await present(session, self.config, people, at)
        return await batch.present(session, self.config, people, at)

    async def _events(self, session: AsyncSession, ticket: TicketRow) -> Sequence[TicketEventRow]:
        batch = Batch.of(session)
        if batch is None:
            return await trail.ticket_events(session, ticket_id=ticket.id)
        return await batch.ticket_events(session, ticket.id)

    async def _worker_targets(
        self, session: AsyncSession, ticket: TicketRow, person_id: str | None
    ) -> list[Target]:
        batch = Batch.of(session)
        person = self.config.person(person_id) if person_id else None
        if batch is None or person is None:
            return await super()._worker_targets(session, ticket, person_id)
        platform = await batch.last_platform(session, ticket.id, person.id)
        return notify.person_targets(self.config, person, prefer=platform)

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
        """As the base's, but in a sweep batch the event is inserted with the batch's
        others and the ticket stored with them (no flush per step)."""
        batch = Batch.of(session)
        if batch is None:
            await super()._record(
                session, ticket, action, before, actor, person, data, audience=audience
            )
            return
        # The sweep acts as nobody (no claim lease starts again) and stores the ticket's
        # exact next moment itself once its due steps are fired: no refresh per event.
        event = trail.new_event(
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
        batch.add_event(event)

    def _calendar(self, ticket: TicketRow) -> WorkingCalendar:
        """The ticket's team calendar: whose office time a person's hours are cut to."""
        if ticket.team_id not in self._calendars:
            self._calendars[ticket.team_id] = calendar_for(self.config, ticket.team_id)
        return self._calendars[ticket.team_id]

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

    async def __call__(
        self, targets: list[Target], notice: Notice, *, hold_until: datetime | None = None
    ) -> None:
        if self.quiet or not targets:
            return
        prefix = f"sweep:{self.key}:{self.count}"
        self.count += 1
        outgoing = [Outgoing(target, notice) for target in targets]
        await notify.send(
            self.session,
            outgoing,
            at=self.now,
            dedupe_prefix=prefix,
            bundle=self.bundle,
            not_before=hold_until,
        )
