"""Two taps on the slot buttons confirm once, on both stores.

`pick` (and "Andere Termine", move, cancel) lock the appointment's row on PostgreSQL and
read it afresh: a second tap waits for the first one's commit, then finds the proposal
answered and is told its button is stale; it changes nothing and sends nothing.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from bot.service.actors import Actor
from bot.service.appointments import Appointments
from storage.models import AppointmentRow
from tests.harness import Harness, texts
from tests.service.test_appointments import AGENT, REQUESTER, claimed, ids, outbox_rows

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def appointment(sessions: Sessions) -> AppointmentRow:
    async with sessions() as session:
        row = await session.get(AppointmentRow, 1)
        assert row is not None
        return row


async def test_a_second_tap_on_an_answered_proposal_changes_and_sends_nothing(
    hotline: Harness, sessions: Sessions
) -> None:
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00, Mi 10:00")
    proposal = await hotline.dm(REQUESTER)
    picks, others = ids(proposal, "appt:pick:"), ids(proposal, "appt:other:")
    await hotline.say(REQUESTER, action_id=picks[0])
    before = await appointment(sessions)
    sent = len(await outbox_rows(hotline))
    for late in (picks[1], picks[0], *others):
        stale = await hotline.say(REQUESTER, action_id=late)
        assert "gilt nicht mehr" in texts(stale), texts(stale)
    after = await appointment(sessions)
    assert (after.status, after.start_at, after.sequence) == (
        "confirmed",
        before.start_at,
        before.sequence,
    )
    added = (await outbox_rows(hotline))[sent:]  # only the stale answers themselves
    assert [r.target_address for r in added] == [REQUESTER] * 3
    assert all("gilt nicht mehr" in texts([Notice.from_json(r.payload)]) for r in added)


async def test_two_concurrent_picks_confirm_once_on_postgresql(
    hotline: Harness, sessions: Sessions, db: AsyncEngine
) -> None:
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time")
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00, Mi 10:00")
    proposal = await hotline.dm(REQUESTER)
    assert ids(proposal, "appt:pick:1:1:")  # appointment 1, proposal 1
    sent = len(await outbox_rows(hotline))
    service = Appointments(hotline.config, hotline.clock)
    requester = Actor("local", REQUESTER, None, "de")

    async def pick(session: AsyncSession, index: int) -> list[Notice]:
        return await service.pick(
            session, actor=requester, appointment_id=1, proposal=1, index=index
        )

    async with sessions() as first, sessions() as second:
        pid = (await second.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert await pick(first, 0) == []  # confirmed, not committed yet

        async def late() -> list[Notice]:
            said = await pick(second, 1)
            await second.commit()
            return said

        racing = asyncio.create_task(late())
        async with sessions() as watcher:  # wait until the second tap waits for the row
            for _ in range(1000):
                query = text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid")
                waiting = (await watcher.execute(query, {"pid": pid})).scalar()
                await watcher.rollback()
                if waiting == "Lock" or racing.done():
                    break
                await asyncio.sleep(0.01)
        await first.commit()
        said = await asyncio.wait_for(racing, timeout=30)
    assert "gilt nicht mehr" in texts(said), texts(said)
    row = await appointment(sessions)
    assert row.status == "confirmed" and row.sequence == 0
    assert "Dienstag, 01.12.2026, 10:00 Uhr" in texts(await hotline.dm(REQUESTER))
    rows = (await outbox_rows(hotline))[sent:]
    keys = [r.dedupe_key or "" for r in rows]
    assert len([k for k in keys if k.startswith("appt-")]) == 2, keys  # the reminders, once
    mine = [Notice.from_json(r.payload) for r in rows if r.target_address == REQUESTER]
    assert len([n for n in mine if n.file is not None]) == 1
