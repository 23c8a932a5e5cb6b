"""Batch boundaries of the set-based sweep (bot/escalation/batch.py), on both stores.

A batch smaller than the due set, a step another sweeper claimed between the batch's read
and its claim, a failure in the middle of a batch: every step still fires exactly once,
and only the failed batch is rolled back.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.escalation import plan
from bot.escalation.actions import DeadlineActions
from bot.escalation.batch import Batch
from bot.escalation.plan import Item
from bot.escalation.sweep import Sweeper, SweepReport
from bot.kernel.clock import FrozenClock
from bot.sla.calendar import calendar_for
from storage.models import EscalationStepRow, OutboxRow, TicketRow
from storage.repositories import escalation as steps_repo
from tests.conftest import berlin
from tests.service.sweep_support import Sessions, open_tickets, step_keys

REMINDER_TIME = berlin(2026, 11, 30, 13, 30)  # 2 office hours before Monday 15:30


async def notices_of(sessions: Sessions, ticket_id: int) -> int:
    """The sweep's outbox rows for one ticket (by their dedupe keys)."""
    async with sessions() as session:
        query = select(func.count()).select_from(OutboxRow)
        query = query.where(OutboxRow.dedupe_key.like(f"sweep:t{ticket_id}:%"))
        return int(await session.scalar(query) or 0)


async def due_key(config: OrgConfig, sessions: Sessions, ticket_id: int, now: datetime) -> str:
    """The key of the ticket's first step due at `now`."""
    async with sessions() as session:
        ticket = await session.get(TicketRow, ticket_id)
        assert ticket is not None
        items = plan.items(config, ticket, calendar_for(config, ticket.team_id))
    return next(item.key for item in items if item.moment <= now)


async def test_a_batch_smaller_than_the_due_set_fires_each_step_once(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await open_tickets(config, sessions, clock, 7, topic="haushalt")
    writes: list[int] = []
    original = Batch.write

    async def counting(self: Batch, session: AsyncSession, tickets: Sequence[TicketRow]) -> int:
        writes.append(len(tickets))
        return await original(self, session, tickets)

    monkeypatch.setattr(Batch, "write", counting)
    clock.set(REMINDER_TIME)
    report = await Sweeper(config, sessions, clock, batch_size=3).sweep()
    assert writes == [3, 3, 1]  # three set-based batches, nothing redone one by one
    assert report.fired == 7 and report.conflicts == 0
    keys = await step_keys(sessions)
    assert sorted(key.split(":")[0] for key in keys) == sorted(f"t{i}" for i in ids)
    counts = {ticket_id: await notices_of(sessions, ticket_id) for ticket_id in ids}
    assert len(set(counts.values())) == 1 and counts[ids[0]] > 0
    again = await Sweeper(config, sessions, clock, batch_size=3).sweep()
    assert again.fired == 0 and await step_keys(sessions) == keys


async def test_a_step_claimed_by_another_sweeper_mid_batch_fires_once(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other sweeper's record appears after the batch read the fired keys: the batch's
    claim misses that key, the batch is rolled back and redone ticket by ticket, and the
    step is not sent a second time; the others fire once."""
    ids = await open_tickets(config, sessions, clock, 4, topic="haushalt")
    taken = ids[1]
    key = await due_key(config, sessions, taken, REMINDER_TIME)
    clock.set(REMINDER_TIME)
    async with sessions() as session, session.begin():  # the other sweeper's claim
        step = EscalationStepRow(
            key=key,
            ticket_id=taken,
            step="other",
            action="remind",
            due_at=REMINDER_TIME,
            fired_at=REMINDER_TIME,
            missed=False,
            recipients={},
        )
        session.add(step)
    original = steps_repo.fired_keys
    hidden = {"first": True}

    async def stale(session: AsyncSession, *, keys: Collection[str]) -> set[str]:
        found = await original(session, keys=keys)
        if hidden.pop("first", False):
            found.discard(key)  # read before the other sweeper committed
        return found

    monkeypatch.setattr(steps_repo, "fired_keys", stale)
    report = await Sweeper(config, sessions, clock).sweep()
    assert report.conflicts == 1
    assert sorted(report.keys) == sorted(
        [await due_key(config, sessions, i, REMINDER_TIME) for i in ids if i != taken]
    )
    assert await notices_of(sessions, taken) == 0
    counts = [await notices_of(sessions, i) for i in ids if i != taken]
    assert len(set(counts)) == 1 and counts[0] > 0


async def test_a_failure_mid_batch_rolls_back_only_that_batch(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await open_tickets(config, sessions, clock, 5, topic="haushalt")
    batches: list[list[int]] = []
    broken: dict[str, int] = {}
    fire_batch = Sweeper._fire
    fire_step = DeadlineActions.fire

    async def recording(
        self: Sweeper, session: AsyncSession, tickets: Sequence[TicketRow], now: datetime
    ) -> tuple[SweepReport, int]:
        batches.append([ticket.id for ticket in tickets])
        if len(batches) == 2:
            broken["id"] = tickets[1].id  # the second ticket of the second batch
        return await fire_batch(self, session, tickets, now)

    async def failing(
        self: DeadlineActions, session: AsyncSession, ticket: TicketRow, item: Item, **kw: Any
    ) -> bool:
        if ticket.id == broken.get("id"):
            raise RuntimeError("broken ticket")
        return await fire_step(self, session, ticket, item, **kw)

    monkeypatch.setattr(Sweeper, "_fire", recording)
    monkeypatch.setattr(DeadlineActions, "fire", failing)
    clock.set(REMINDER_TIME)
    report = await Sweeper(config, sessions, clock, batch_size=2).sweep()
    first, second = batches[0], batches[1]
    # batch 1 stayed committed; batch 2 was redone ticket by ticket; batch 3 ran as a batch
    assert [len(batch) for batch in batches] == [2, 2, 1, 1, 1]
    assert batches[2:4] == [[second[0]], [second[1]]]
    fine = [ticket_id for ticket_id in ids if ticket_id != broken["id"]]
    assert sorted(key.split(":")[0] for key in report.keys) == sorted(f"t{i}" for i in fine)
    assert sorted(key.split(":")[0] for key in await step_keys(sessions)) == sorted(
        f"t{i}" for i in fine
    )
    counts = [await notices_of(sessions, ticket_id) for ticket_id in fine]
    assert len(set(counts)) == 1 and counts[0] > 0  # none lost, none doubled
    assert await notices_of(sessions, broken["id"]) == 0
    assert set(first) <= set(fine)
    async with sessions() as session:
        ticket = await session.get(TicketRow, broken["id"])
        assert ticket is not None and ticket.next_action_at is not None
        assert ticket.next_action_at > REMINDER_TIME  # postponed, retried later
