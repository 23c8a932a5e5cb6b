"""The absences repository on SQLite and PostgreSQL: entered, replaced, ended, handed over once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kernel.clock import FrozenClock
from storage.repositories import absences

Sessions = async_sessionmaker[AsyncSession]
DAY = timedelta(days=1)


async def _add(session: AsyncSession, clock: FrozenClock, person: str, start: int, end: int) -> int:
    row = await absences.add(
        session,
        person_id=person,
        starts_at=clock.now() + start * DAY,
        ends_at=clock.now() + end * DAY,
        deputy_id="hh.weber",
        created_by=person,
        now=clock.now(),
    )
    return row.id


async def test_active_absences_cover_start_but_not_end(
    sessions: Sessions, clock: FrozenClock
) -> None:
    async with sessions() as session, session.begin():
        await _add(session, clock, "hh.schneider", 0, 2)
        await _add(session, clock, "kred.wagner", 1, 3)
    async with sessions() as session:
        now = [row.person_id for row in await absences.active(session, at=clock.now())]
        later = await absences.active(session, at=clock.now() + 2 * DAY)
        planned = await absences.current_and_planned(session, now=clock.now())
    assert now == ["hh.schneider"]
    assert [row.person_id for row in later] == ["kred.wagner"]  # the end is exclusive
    assert [row.person_id for row in planned] == ["hh.schneider", "kred.wagner"]
    assert planned[0].deputy_id == "hh.weber"
    assert planned[0].starts_at == clock.now()  # aware, UTC, on both stores


async def test_a_new_absence_replaces_the_open_one(sessions: Sessions, clock: FrozenClock) -> None:
    async with sessions() as session, session.begin():
        await _add(session, clock, "hh.schneider", 1, 2)
        await _add(session, clock, "hh.schneider", 3, 5)
    async with sessions() as session:
        rows = await absences.current_and_planned(session, now=clock.now())
    assert [(row.starts_at - clock.now()).days for row in rows] == [3]


async def test_ending_cuts_the_running_and_drops_the_planned(
    sessions: Sessions, clock: FrozenClock
) -> None:
    async with sessions() as session, session.begin():
        await _add(session, clock, "hh.schneider", -1, 2)
    async with sessions() as session, session.begin():
        assert await absences.end(session, person_id="hh.schneider", now=clock.now()) == 1
        assert await absences.end(session, person_id="hh.schneider", now=clock.now()) == 0
    async with sessions() as session:
        assert await absences.active(session, at=clock.now()) == []
    async with sessions() as session, session.begin():
        await _add(session, clock, "kred.wagner", 2, 4)
        assert await absences.end(session, person_id="kred.wagner", now=clock.now()) == 1
    async with sessions() as session:
        assert await absences.current_and_planned(session, now=clock.now()) == []


async def test_the_handover_is_taken_once(sessions: Sessions, clock: FrozenClock) -> None:
    async with sessions() as session, session.begin():
        started = await _add(session, clock, "hh.schneider", 0, 2)
        await _add(session, clock, "kred.wagner", 1, 2)  # not started yet
    async with sessions() as session, session.begin():
        assert await absences.handover_due(session, now=clock.now()) == [started]
        first = await absences.take_handover(session, absence_id=started, now=clock.now())
        again = await absences.take_handover(session, absence_id=started, now=clock.now())
    assert first is not None and first.handed_over_at == clock.now() and again is None
    async with sessions() as session:
        assert await absences.handover_due(session, now=clock.now()) == []
        assert len(await absences.handover_due(session, now=clock.now() + DAY)) == 1
