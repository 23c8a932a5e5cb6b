"""The storage contract of the outbox (leases, retries, dedupe, a dead holder's rows) and
of instance heartbeats, run on SQLite and PostgreSQL through the `db` fixture."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Target
from storage.repositories import instances, outbox

Sessions = async_sessionmaker[AsyncSession]


async def test_outbox_claims_leases_and_delivers(sessions: Sessions, clock: FrozenClock) -> None:
    target = Target("local", "user", "anna")
    async with sessions() as session, session.begin():
        for number in range(3):
            await outbox.enqueue(session, target=target, payload={"n": number}, at=clock.now())
    async with sessions() as session, session.begin():
        rows = await outbox.claim_due(
            session, platforms=["local"], now=clock.now(), lease=timedelta(minutes=1), limit=2
        )
        claimed = [row.payload["n"] for row in rows]
        ids = [row.id for row in rows]
    assert claimed == [0, 1]
    async with sessions() as session, session.begin():
        leased_again = await outbox.claim_due(
            session, platforms=["local"], now=clock.now(), lease=timedelta(minutes=1)
        )
        assert [row.payload["n"] for row in leased_again] == [2]
        await outbox.mark_delivered(session, outbox_id=ids[0], at=clock.now(), message_ref="m1")
        await outbox.mark_failed(
            session, outbox_id=ids[1], error="boom", retry_at=clock.now() + timedelta(seconds=30)
        )
    clock.advance(timedelta(minutes=2))
    async with sessions() as session, session.begin():
        again = await outbox.claim_due(
            session, platforms=["local"], now=clock.now(), lease=timedelta(minutes=1)
        )
        assert sorted(row.payload["n"] for row in again) == [1, 2]
        assert {row.payload["n"]: row.attempts for row in again}[1] == 1
        assert await outbox.pending_count(session) == 2


async def test_outbox_platform_filter_and_dedupe_key(
    sessions: Sessions, clock: FrozenClock
) -> None:
    async with sessions() as session, session.begin():
        for _ in range(2):
            await outbox.enqueue(
                session,
                target=Target("matrix", "channel", "!room:x"),
                payload={"a": 1},
                at=clock.now(),
                dedupe_key="reminder:7:first_response",
            )
        await outbox.enqueue(
            session, target=Target("local", "user", "anna"), payload={}, at=clock.now()
        )
    async with sessions() as session, session.begin():
        rows = await outbox.claim_due(
            session, platforms=["matrix"], now=clock.now(), lease=timedelta(minutes=1)
        )
        assert len(rows) == 1
        assert await outbox.pending_count(session, platform="local") == 1


async def test_failed_for_good_is_not_retried(sessions: Sessions, clock: FrozenClock) -> None:
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session, target=Target("local", "user", "a"), payload={}, at=clock.now()
        )
    async with sessions() as session, session.begin():
        (row,) = await outbox.claim_due(
            session, platforms=["local"], now=clock.now(), lease=timedelta(minutes=1)
        )
        await outbox.mark_failed(session, outbox_id=row.id, error="gone", retry_at=None)
    clock.advance(timedelta(days=1))
    async with sessions() as session, session.begin():
        assert not await outbox.claim_due(
            session, platforms=["local"], now=clock.now(), lease=timedelta(minutes=1)
        )


async def test_a_dead_instances_leases_go_back_before_they_run_out(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """Repro (issue 14): notices leased by a killed process waited the whole 5-minute lease.
    Now a row whose holder has not beaten for 30 s is free for the others."""
    target, lease, dead_after = Target("local", "user", "anna"), timedelta(minutes=5), 30
    start = clock.now()

    async def claim(holder: str) -> list[int]:
        now = clock.now()
        async with sessions() as session, session.begin():
            await instances.beat(session, instance_id=holder, now=now)
            rows = await outbox.claim_due(
                session,
                platforms=["local"],
                now=now,
                lease=lease,
                holder=holder,
                alive_since=now - timedelta(seconds=dead_after),
            )
        return [row.payload["n"] for row in rows]

    async with sessions() as session, session.begin():
        for number in range(2):
            await outbox.enqueue(session, target=target, payload={"n": number}, at=start)
    assert await claim("killed") == [0, 1]
    clock.advance(timedelta(seconds=20))
    assert await claim("other") == []  # the holder may still be sending
    clock.advance(timedelta(seconds=11))  # 31 s without a beat: the holder is gone
    assert await claim("other") == [0, 1]
    clock.advance(timedelta(seconds=31))
    assert await claim("third") == [0, 1]  # "other" has not beaten since it claimed: gone too
    async with sessions() as session, session.begin():
        await instances.beat(session, instance_id="alive", now=clock.now())
        await outbox.enqueue(session, target=target, payload={"n": 2}, at=clock.now())
    clock.advance(timedelta(seconds=31))  # "third" is gone as well
    assert await claim("alive") == [0, 1, 2]
    clock.advance(timedelta(seconds=25))
    async with sessions() as session, session.begin():
        await instances.beat(session, instance_id="alive", now=clock.now())
    clock.advance(timedelta(seconds=25))
    assert await claim("fourth") == []  # "alive" beat 25 s ago


async def test_rows_leased_without_a_holder_wait_for_their_lease(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """Rows leased before holders were recorded (an older version) keep the lease rule."""
    target = Target("local", "user", "bert")
    async with sessions() as session, session.begin():
        await outbox.enqueue(session, target=target, payload={"n": 0}, at=clock.now())
        await outbox.claim_due(
            session, platforms=["local"], now=clock.now(), lease=timedelta(minutes=5)
        )
    clock.advance(timedelta(minutes=1))
    now = clock.now()
    async with sessions() as session, session.begin():
        rows = await outbox.claim_due(
            session,
            platforms=["local"],
            now=now,
            lease=timedelta(minutes=5),
            holder="new",
            alive_since=now - timedelta(seconds=30),
        )
    assert rows == []
