"""The storage contract of personal working hours (/arbeitszeit), and of an outbox row that
waits for a person's working time, on SQLite and PostgreSQL through the `db` fixture."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.weekly_hours import parse
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice, Target
from storage.models import OutboxRow, PersonHoursRow
from storage.repositories import outbox, people_hours

Sessions = async_sessionmaker[AsyncSession]
PART_TIME = parse("Mo-Do 08:00-12:30")
SPLIT = parse("Mo-Fr 08:00-12:00, Di 13:00-16:00")


async def test_hours_are_set_replaced_read_and_reset(
    sessions: Sessions, clock: FrozenClock
) -> None:
    async with sessions() as session, session.begin():
        assert await people_hours.get_hours(session, person_id="hh.weber") is None
        await people_hours.set_hours(session, person_id="hh.weber", hours=PART_TIME, at=clock.now())
    async with sessions() as session:
        assert await people_hours.get_hours(session, person_id="hh.weber") == PART_TIME
    clock.advance(timedelta(hours=1))
    async with sessions() as session, session.begin():  # a second /arbeitszeit replaces it
        await people_hours.set_hours(session, person_id="hh.weber", hours=SPLIT, at=clock.now())
        await people_hours.set_hours(
            session, person_id="bk.berger", hours=PART_TIME, at=clock.now()
        )
    async with sessions() as session:
        assert await people_hours.get_hours(session, person_id="hh.weber") == SPLIT
        rows = (await session.scalars(select(PersonHoursRow))).all()
        assert len(rows) == 2
        weber = next(row for row in rows if row.person_id == "hh.weber")
        assert weber.updated_at == clock.now()
        assert weber.hours["1"] == ["08:00-12:00", "13:00-16:00"]  # weekday "1" = Tuesday
    async with sessions() as session, session.begin():
        assert await people_hours.clear_hours(session, person_id="hh.weber") is True
        assert await people_hours.clear_hours(session, person_id="hh.weber") is False
    async with sessions() as session:
        assert await people_hours.get_hours(session, person_id="hh.weber") is None
        assert await people_hours.get_hours(session, person_id="bk.berger") == PART_TIME


async def test_a_row_held_for_working_time_is_not_due_before(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """`not_before` sets when a row becomes due; the claim honours it, and rows held to the
    same moment come out in the order they were written."""
    target = Target("local", "user", "hh.weber")
    later = clock.now() + timedelta(days=3)
    async with sessions() as session, session.begin():
        for text in ("eins", "zwei"):
            await outbox.enqueue(
                session,
                target=target,
                payload=Notice(text=text).to_json(),
                at=clock.now(),
                not_before=later,
            )
        earlier = clock.now() - timedelta(hours=1)  # a moment already past holds nothing
        await outbox.enqueue(
            session,
            target=target,
            payload=Notice(text="jetzt").to_json(),
            at=clock.now(),
            not_before=earlier,
        )
    lease = timedelta(minutes=5)
    async with sessions() as session, session.begin():
        due = await outbox.claim_due(session, platforms=["local"], now=clock.now(), lease=lease)
        assert [Notice.from_json(row.payload).text for row in due] == ["jetzt"]
        assert due[0].next_attempt_at == clock.now()
        await outbox.mark_delivered(session, outbox_id=due[0].id, at=clock.now(), message_ref=None)
    async with sessions() as session, session.begin():
        none = await outbox.claim_due(
            session, platforms=["local"], now=later - timedelta(seconds=1), lease=lease
        )
        assert none == []
    async with sessions() as session, session.begin():
        held = await outbox.claim_due(session, platforms=["local"], now=later, lease=lease)
        assert [Notice.from_json(row.payload).text for row in held] == ["eins", "zwei"]
        rows = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
        assert [row.created_at for row in rows] == [clock.now()] * 3  # written at once
