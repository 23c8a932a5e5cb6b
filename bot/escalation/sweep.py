"""The deadline sweep: find due tickets with one indexed query, fire what is due, reschedule.

A batch of due tickets is handled in ONE transaction with set-based statements
(bot/escalation/batch.py): the batch's step keys are claimed together, its notices and audit
events inserted together, and each ticket's exact `next_action_at` stored (compare-and-set
on the ticket's version) in one executemany UPDATE. The outbox sender delivers after
commit. If another instance got to one of the steps or tickets first, or anything fails,
the batch alone is rolled back and redone ticket by ticket, so every step is sent exactly
once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bot.config.model import OrgConfig
from bot.domain.errors import ConcurrentUpdate
from bot.escalation import plan
from bot.escalation.actions import DeadlineActions
from bot.escalation.batch import Batch
from bot.kernel.clock import Clock
from bot.people.handover import Handover
from bot.service.appointments import Appointments
from bot.sla.calendar import WorkingCalendar, calendar_for
from storage.models import TicketRow
from storage.repositories import absences as absences_repo
from storage.repositories import appointments as appointments_repo
from storage.repositories import escalation as repo
from storage.repositories._dialect import supports_skip_locked

log = logging.getLogger(__name__)
BATCH_SIZE = 200
MAX_ITEMS_PER_TICKET = 20  # a guard against a plan that never settles
RETRY_LATER = timedelta(minutes=5)
_CONFLICTS = (IntegrityError, StaleDataError, ConcurrentUpdate, DBAPIError)


@dataclass
class SweepReport:
    """What one sweep did."""

    tickets: int = 0
    fired: int = 0
    missed: int = 0
    deferred: int = 0
    conflicts: int = 0
    handed_over: int = 0  # claimed tickets back in the queue: their claimer is away
    keys: list[str] = field(default_factory=list)


class Sweeper:
    """Runs the deadline sweep; safe to run in several instances against one database."""

    def __init__(
        self,
        config: OrgConfig,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        batch_size: int = BATCH_SIZE,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.batch_size = batch_size
        self.on_outbox = on_outbox
        self.actions = DeadlineActions(config, clock)
        self.handover = Handover(config, clock)  # absences: claimed tickets go back once
        # A step found this late was not missed by a slow sweep but by a bot that was down.
        self.late_after = max(timedelta(minutes=10), 4 * config.escalation.sweep_interval)
        self._calendars: dict[str, WorkingCalendar] = {}
        self._plans: dict[tuple[object, ...], list[plan.Item]] = {}  # per batch, by state
        self.stopping = False  # set on shutdown: finish the current batch, leave the rest

    def calendar(self, team_id: str) -> WorkingCalendar:
        """The team's working calendar (built once per team)."""
        if team_id not in self._calendars:
            self._calendars[team_id] = calendar_for(self.config, team_id)
        return self._calendars[team_id]

    async def sweep(self) -> SweepReport:
        """Hand over the tickets of absences that began, then handle every ticket that is
        due now; return what was done."""
        now = self.clock.now()
        report = SweepReport()
        async with self.sessions() as session:  # one read: nearly every sweep finds neither
            absences = await absences_repo.handover_due(session, now=now)
            begun = bool(await appointments_repo.begun(session, now=now, limit=1))
        report.handed_over = await self.handover.run(self.sessions, now, due=absences)
        if begun:
            await self._resume_appointments()
        while not self.stopping:
            before = report.tickets
            handled = await self._batch(now, report)
            if handled < self.batch_size or report.tickets == before:
                break  # all done, or only tickets another instance is busy with are left
        if (report.fired or report.handed_over) and self.on_outbox is not None:
            self.on_outbox()
        return report

    async def _resume_appointments(self) -> None:
        """Tickets whose appointment has begun run their clock again (only called when the
        sweep's first read found one: an idle sweep pays for no write transaction). A second
        sweeper resuming the same appointment, or a broken one, must not stop the deadlines
        that follow: the next sweep tries again."""
        try:
            async with self.sessions() as session, session.begin():
                await Appointments(self.config, self.clock).resume_begun(session)
        except _CONFLICTS as error:
            log.info("appointments met a concurrent change (%s); next sweep", error)
        except Exception:
            log.exception("resuming begun appointments failed; retrying next sweep")

    async def _batch(self, now: datetime, report: SweepReport) -> int:
        ids: list[int] = []
        try:
            async with self.sessions() as session, session.begin():
                tickets = await repo.due_tickets(session, now=now, limit=self.batch_size)
                ids = [ticket.id for ticket in tickets]
                partial, _ = await self._fire(session, tickets, now)
            _merge(report, partial)
            return len(ids)
        except _CONFLICTS as error:
            log.info("sweep batch met a concurrent change (%s); redoing it one by one", error)
            report.conflicts += 1
        except Exception:
            # One broken ticket (say, its topic left the config) must not stop the others:
            # redo the batch one by one; the broken ticket alone is postponed.
            log.exception("sweep batch failed; redoing it ticket by ticket")
        if not ids:
            ids = await self._due_ids(now)
        for ticket_id in ids:
            await self._single(ticket_id, now, report)
        return len(ids)

    async def _fire(
        self, session: AsyncSession, tickets: Sequence[TicketRow], now: datetime
    ) -> tuple[SweepReport, int]:
        """Fire the tickets' due steps as one batch (bot/escalation/batch.py): a few reads
        up front, set-based writes at the end; returns what was done and how many notices
        went into the outbox."""
        partial = SweepReport()
        if not tickets:
            return partial, 0
        self._plans.clear()
        fired = await self._fired(session, tickets)
        batch = await Batch.start(session, tickets, now, escalating=self._escalating(tickets, now))
        try:
            with session.no_autoflush:  # nothing is written before `batch.write`
                for ticket in tickets:
                    await self._ticket(session, ticket, now, partial, fired)
            notices = await batch.write(session, tickets)
        finally:
            Batch.abandon(session)
            self._plans.clear()
        return partial, notices

    def _items(self, ticket: TicketRow) -> list[plan.Item]:
        """`plan.items` of the ticket as it is now: computed again only when a column
        changed (most steps change nothing the plan reads; the calendar math is dear)."""
        state = tuple([getattr(ticket, name) for name in plan.INPUTS])
        found = self._plans.get(state)
        if found is None:
            found = self._plans[state] = plan.items(
                self.config, ticket, self.calendar(ticket.team_id)
            )
        return found

    def _escalating(self, tickets: Sequence[TicketRow], now: datetime) -> list[int]:
        """The tickets with an escalation due: their notices show the trail (read at once)."""
        found = []
        for ticket in tickets:
            for item in self._items(ticket):
                step = item.step
                escalates = item.kind == "repeat" or (
                    step is not None and step.action == "escalate"
                )
                if item.moment <= now and escalates:
                    found.append(ticket.id)
                    break
        return found

    async def _due_ids(self, now: datetime) -> list[int]:
        async with self.sessions() as session:
            query = (
                select(TicketRow.id)
                .where(TicketRow.next_action_at <= now)
                .order_by(TicketRow.next_action_at)
                .limit(self.batch_size)
            )
            return list((await session.scalars(query)).all())

    async def _single(self, ticket_id: int, now: datetime, report: SweepReport) -> None:
        partial = SweepReport()
        try:
            async with self.sessions() as session, session.begin():
                query = select(TicketRow).where(
                    TicketRow.id == ticket_id, TicketRow.next_action_at <= now
                )
                if supports_skip_locked(session):
                    query = query.with_for_update(skip_locked=True)
                ticket = await session.scalar(query)
                if ticket is not None:
                    partial, _ = await self._fire(session, [ticket], now)
            _merge(report, partial)
        except _CONFLICTS:
            report.conflicts += 1  # the other instance handled it: its steps are recorded
        except Exception:
            log.exception("deadline sweep failed on ticket %s; retrying later", ticket_id)
            await self._postpone(ticket_id, now + RETRY_LATER)

    async def _fired(self, session: AsyncSession, tickets: Sequence[TicketRow]) -> set[str]:
        """The already recorded keys among the batch's items: one query for the batch."""
        keys = [item.key for ticket in tickets for item in self._items(ticket)]
        return await repo.fired_keys(session, keys=keys)

    async def _ticket(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        now: datetime,
        report: SweepReport,
        fired: set[str],
    ) -> None:
        """Fire the due items of one ticket, earliest first, then store its exact next moment.

        `fired` holds the keys recorded before this transaction; keys of items that appear
        only after a step (a repeat after an escalation) are new by construction, and a key
        another instance recorded meanwhile is caught by the insert itself.
        """
        report.tickets += 1
        calendar = self.calendar(ticket.team_id)
        for _ in range(MAX_ITEMS_PER_TICKET):
            candidates = self._items(ticket)
            due = [i for i in candidates if i.key not in fired and i.moment <= now]
            if not due:
                ticket.next_action_at = plan.next_action_at(candidates, fired)
                return
            item = due[0]
            missed = now - item.moment > self.late_after
            office_only = self.config.escalation_policy_for(ticket.team_id).office_hours_only
            on_call = item.kind in ("step", "repeat") and not office_only
            if missed and not on_call and not calendar.is_office_time(now):
                # Found late outside office hours: catch up when the office opens.
                ticket.next_action_at = calendar.next_office_time(now)
                report.deferred += 1
                return
            # Found late, reminders and escalations go into the catch-up report instead;
            # interim messages and claim leases still happen (one per ticket, no storm).
            quiet = missed and item.kind in ("step", "repeat")
            if await self.actions.fire(session, ticket, item, quiet=quiet):
                report.fired += 1
                report.missed += int(quiet)
                report.keys.append(item.key)
            fired.add(item.key)
        ticket.next_action_at = now + RETRY_LATER
        log.error("ticket %s: more than %d due items at once", ticket.id, MAX_ITEMS_PER_TICKET)

    async def _postpone(self, ticket_id: int, moment: datetime) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(TicketRow)
                .where(TicketRow.id == ticket_id)
                .values(next_action_at=moment, version=TicketRow.version + 1)
            )


def _merge(total: SweepReport, part: SweepReport) -> None:
    total.tickets += part.tickets
    total.fired += part.fired
    total.missed += part.missed
    total.deferred += part.deferred
    total.keys += part.keys
