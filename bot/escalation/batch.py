"""One sweep batch's reads done up front and its writes done at the end, set-based.

The sweep used to fire a step with a round trip each for its key, every notice, the audit
event, the recipients' absences and platforms and the ticket's update. A `Batch` instead
loads what deciding needs for all of the batch's tickets in a few queries (who is away,
from which platform each staff member works on each ticket, the trail of the tickets
about to escalate), collects what firing writes, and `write` stores it in four
statements: the step keys claimed with one INSERT ... ON CONFLICT DO NOTHING RETURNING
(a key another sweeper holds fails the batch, which is then redone ticket by ticket), the
tickets rescheduled with one executemany UPDATE (compare-and-set on their versions), the
audit events and the outbox notices with one multi-row INSERT each.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig, Person
from bot.domain.errors import ConcurrentUpdate
from bot.people.availability import Absence, recipients
from bot.people.present import absences_at
from storage.models import TicketEventRow, TicketRow
from storage.repositories import escalation as steps_repo
from storage.repositories import outbox, trail

_KEY = "sweep_batch"  # session.info key (not a catalogue key)


class Batch:
    """The batch of the session's transaction (see the module docstring)."""

    def __init__(self, ticket_ids: list[int], now: datetime) -> None:
        self.ticket_ids, self.now = ticket_ids, now
        # read on first need, for the whole batch (a channel reminder needs neither)
        self.absences: list[Absence] | None = None
        self.platforms: dict[tuple[int, str], str] | None = None
        self.steps: list[dict[str, Any]] = []
        self.events: dict[int, list[TicketEventRow]] = {}  # loaded trails, by ticket
        self.added: dict[int, list[TicketEventRow]] = {}  # this batch's events, by ticket
        self.new_events: list[TicketEventRow] = []  # the same, in the order they were made
        self.notices = 0

    @staticmethod
    def of(session: AsyncSession) -> Batch | None:
        """The batch the session is firing, None outside the sweep."""
        batch: Batch | None = session.info.get(_KEY)
        return batch

    @classmethod
    async def start(
        cls,
        session: AsyncSession,
        tickets: Sequence[TicketRow],
        now: datetime,
        *,
        escalating: Iterable[int] = (),
    ) -> Batch:
        """Read what firing the tickets' steps needs; collect the outbox rows from now on."""
        batch = cls([ticket.id for ticket in tickets], now)
        batch.events = await trail.events_of(session, ticket_ids=set(escalating))
        session.info[_KEY] = batch
        outbox.buffer_rows(session)
        return batch

    async def present(
        self, session: AsyncSession, config: OrgConfig, people: Iterable[Person], at: datetime
    ) -> tuple[Person, ...]:
        """`bot.people.present.present`, the absences read once per batch."""
        wanted = tuple(people)
        if not wanted:
            return ()
        if self.absences is None:
            self.absences = await absences_at(session, at)
        return recipients(config, self.absences, wanted, at)

    async def last_platform(
        self, session: AsyncSession, ticket_id: int, person_id: str
    ) -> str | None:
        """`trail.last_platform_of`, read for all of the batch's tickets at once."""
        if self.platforms is None:
            self.platforms = await trail.last_platforms(session, ticket_ids=self.ticket_ids)
        return self.platforms.get((ticket_id, person_id))

    async def ticket_events(self, session: AsyncSession, ticket_id: int) -> list[TicketEventRow]:
        """The ticket's trail as `trail.ticket_events` would read it after this batch's own
        events were written (oldest first)."""
        if ticket_id not in self.events:  # not foreseen: one query (never flushes the batch)
            loaded = await trail.events_of(session, ticket_ids=[ticket_id])
            self.events[ticket_id] = loaded[ticket_id]
        found = [*self.events[ticket_id], *self.added.get(ticket_id, [])]
        return sorted(found, key=lambda event: (event.at, event.id or sys.maxsize))

    def add_event(self, event: TicketEventRow) -> None:
        """An audit event, inserted with the others at the end of the batch."""
        self.added.setdefault(event.ticket_id, []).append(event)
        self.new_events.append(event)

    def claim(self, values: dict[str, Any]) -> None:
        """A step to record under its unique key at the end of the batch."""
        self.steps.append(values)

    async def write(self, session: AsyncSession, tickets: Sequence[TicketRow]) -> int:
        """Claim the steps, reschedule the tickets, insert the events and the notices;
        returns how many notices went into the outbox. ConcurrentUpdate: another sweeper
        got to a step or a ticket first (the caller rolls the batch back)."""
        del session.info[_KEY]
        changes = []
        for ticket in tickets:
            changed = inspect(ticket).committed_state  # the attributes set since loading
            values = {name: getattr(ticket, name) for name in changed if name != "version"}
            if values:
                changes.append((ticket.id, ticket.version, values))
            session.expunge(ticket)  # stored by the UPDATE below, not by the unit of work
        with session.no_autoflush:
            wanted = {step["key"] for step in self.steps}
            claimed = await steps_repo.claim_steps(session, steps=self.steps)
            if claimed != wanted:
                lost = len(wanted - claimed)
                raise ConcurrentUpdate(f"{lost} steps were claimed by another sweeper")
            if not await steps_repo.reschedule(session, changes=changes):
                raise ConcurrentUpdate("a ticket changed while the sweep fired its steps")
            await trail.insert_events(session, self.new_events)
        self.notices = await outbox.write_buffered(session)
        return self.notices

    @staticmethod
    def abandon(session: AsyncSession) -> None:
        """The batch failed: collect nothing more in this session."""
        session.info.pop(_KEY, None)
        outbox.drop_buffered(session)
