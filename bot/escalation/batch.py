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

_KEY = "sweep.batch"  # session.info key


class Batch:
    """The batch of the session's transaction (see the module docstring)."""

    def __init__(self, absences: list[Absence], platforms: dict[tuple[int, str], str]) -> None:
        self.absences = absences
        self.platforms = platforms
        self.steps: list[dict[str, Any]] = []
        self.events: dict[int, list[TicketEventRow]] = {}  # loaded trails, by ticket
        self.added: dict[int, list[TicketEventRow]] = {}  # this batch's events, by ticket
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
        ids = [ticket.id for ticket in tickets]
        batch = cls(
            await absences_at(session, now), await trail.last_platforms(session, ticket_ids=ids)
        )
        batch.events = await trail.events_of(session, ticket_ids=set(escalating))
        session.info[_KEY] = batch
        outbox.buffer_rows(session)
        return batch

    def present(
        self, config: OrgConfig, people: Iterable[Person], at: datetime
    ) -> tuple[Person, ...]:
        """`bot.people.present.present` on the absences read at the start."""
        wanted = tuple(people)
        return recipients(config, self.absences, wanted, at) if wanted else ()

    async def ticket_events(self, session: AsyncSession, ticket_id: int) -> list[TicketEventRow]:
        """The ticket's trail as `trail.ticket_events` would read it after this batch's own
        events were written (oldest first)."""
        if ticket_id not in self.events:  # not foreseen: one query (never flushes the batch)
            loaded = await trail.events_of(session, ticket_ids=[ticket_id])
            self.events[ticket_id] = loaded[ticket_id]
        found = [*self.events[ticket_id], *self.added.get(ticket_id, [])]
        return sorted(found, key=lambda event: (event.at, event.id or sys.maxsize))

    def add_event(self, session: AsyncSession, event: TicketEventRow) -> None:
        """An audit event, inserted with the others at the end of the batch."""
        session.add(event)
        self.added.setdefault(event.ticket_id, []).append(event)

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
        await session.flush()  # the audit events: one multi-row INSERT
        self.notices = await outbox.write_buffered(session)
        return self.notices

    @staticmethod
    def abandon(session: AsyncSession) -> None:
        """The batch failed: collect nothing more in this session."""
        session.info.pop(_KEY, None)
        outbox.drop_buffered(session)
