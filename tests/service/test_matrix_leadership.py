"""Matrix failover between two instances (adapters/matrix/leadership.py), with stand-in
adapters: one active, one standby that reports ready as a standby and sends nothing; the
standby takes over when the active one's lock connection dies, and the old active one
stops Matrix at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import cast

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.matrix import leadership
from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.leadership import LeaderElectedMatrix
from adapters.matrix.settings import MatrixSetupError
from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.delivery import DeliveryError, InboundHandler, OutboxSender
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound, Notice, Target
from bot.ops.health import is_active, platform_checks
from storage.engine import make_sessionmaker
from storage.leader_lock import LeaderLock
from storage.models import OutboxRow
from storage.repositories import outbox
from tests.storage.test_leader_lock import end_session, holder_pid


class StandIn:
    """Records start and stop like the Matrix adapter would serve and end a /sync loop."""

    def __init__(self) -> None:
        self.started = 0
        self.stopped = 0

    async def start(self, on_inbound: InboundHandler) -> None:
        self.started += 1

    async def stop(self) -> None:
        self.stopped += 1

    def health(self) -> str | None:
        return None

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        return f"$sent{outbox_id}"


def _instance(db: AsyncEngine) -> tuple[LeaderElectedMatrix, list[StandIn]]:
    made: list[StandIn] = []

    def make(_config: OrgConfig) -> MatrixAdapter:
        made.append(StandIn())
        return cast(MatrixAdapter, made[-1])

    lock = LeaderLock(db, leadership.LOCK_NAME)
    return LeaderElectedMatrix(make, lock, make_sessionmaker(db), load_config(None)), made


async def _end_session(db: AsyncEngine) -> None:
    """End the server session holding the sync lock, as a killed process's or a restart."""
    await end_session(db, await holder_pid(db, leadership.LOCK_NAME))


async def _handle(_: Inbound) -> None:
    return None


async def _until(check: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        result = check()
        if result if isinstance(result, bool) else await result:
            return
        assert loop.time() < deadline, what
        await asyncio.sleep(0.02)


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leadership, "POLL_SECONDS", 0.02)
    monkeypatch.setattr(leadership, "CHECK_SECONDS", 0.02)


async def test_the_standby_takes_over_when_the_active_instance_dies(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    first, first_made = _instance(db)
    second, second_made = _instance(db)
    try:
        await first.start(_handle)
        assert first.active and first.sending and first.role() == "active"
        assert [m.started for m in first_made] == [1]
        await second.start(_handle)
        if db.dialect.name != "postgresql":
            return  # SQLite serves one instance: nothing to elect (app.py does not wrap)
        assert not second.active and not second_made, "a standby does not even log in"
        [check] = platform_checks({"matrix": second})
        assert check.ok and "standby" in check.detail, check
        assert not is_active(second) and is_active(first)
        sender = OutboxSender(make_sessionmaker(db), {"matrix": second}, clock)
        assert sender.sending_platforms() == [], "Matrix rows are the active one's"
        with pytest.raises(DeliveryError):
            await second.send(Target("matrix", "user", "@a:x"), Notice(text="x"), outbox_id=1)

        sessions = make_sessionmaker(db)
        async with sessions() as session, session.begin():  # being sent as it dies
            await outbox.enqueue(
                session,
                target=Target("matrix", "user", "@anna:x"),
                payload=Notice(text="x").to_json(),
                at=clock.now(),
            )
        async with sessions() as session, session.begin():
            [claimed] = await outbox.claim_due(
                session,
                platforms=["matrix"],
                now=clock.now(),
                lease=timedelta(minutes=5),
                holder="the-active-instance",
            )
            row_id = claimed.id
        assert first._task is not None  # its process dies: nothing runs, its session ends
        holder = await holder_pid(db, leadership.LOCK_NAME)  # before the task's cancellation
        first._task.cancel()  # could let go of the lock on its way out: a killed one cannot
        await end_session(db, holder)
        await _until(lambda: second.active, "the standby took over")
        assert [m.started for m in second_made] == [1]
        assert sender.sending_platforms() == ["matrix"]
        async with sessions() as session:  # free at once, so it goes before later ones
            taken_over = await session.get(OutboxRow, row_id)
            assert taken_over is not None
            assert (taken_over.lease_holder, taken_over.lease_until) == (None, None)
        first.inner = None  # the dead process's adapter is gone with it
        first._task = asyncio.create_task(first._watch())  # and it comes back: standby
        [check] = platform_checks({"matrix": first})
        assert check.ok and "standby" in check.detail, "it waits as the standby now"
        assert not first.active and len(first_made) == 1

        await second.stop()  # a graceful stop hands the lock back at once
        await _until(lambda: first.active, "the first instance took over again")
        assert len(first_made) == 2, "with a fresh adapter"
    finally:
        await first.stop()
        await second.stop()


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)  # the lock is PostgreSQL's
async def test_a_database_blip_keeps_the_active_instance_serving(db: AsyncEngine) -> None:
    """The lock's connection ends (a database restart) with no other instance: the active
    one takes the lock again and keeps its adapter; with a standby, exactly one of the two
    serves afterwards and the other's adapter is stopped."""
    first, first_made = _instance(db)
    second, second_made = _instance(db)
    try:
        await first.start(_handle)
        before = await holder_pid(db, leadership.LOCK_NAME)
        await end_session(db, before)

        async def retaken() -> bool:  # on a new connection: only `first` contends
            try:
                return await holder_pid(db, leadership.LOCK_NAME) != before
            except AssertionError:  # not held at this moment
                return False

        await _until(retaken, "the lock taken again")
        assert first.active and len(first_made) == 1 and first_made[0].stopped == 0

        await second.start(_handle)
        killed = await holder_pid(db, leadership.LOCK_NAME)
        await end_session(db, killed)  # now a race: either may win

        async def one_serves() -> bool:
            try:
                if await holder_pid(db, leadership.LOCK_NAME) == killed:
                    return False
            except AssertionError:  # nobody holds it at this moment
                return False
            if first.active == second.active:
                return False
            loser = second_made if first.active else first_made
            return all(made.stopped == 1 for made in loser)

        await _until(one_serves, "exactly one instance serves")
        winner = first if first.active else second
        assert await winner.lock.held()
    finally:
        await first.stop()
        await second.stop()


async def test_taking_over_frees_the_platforms_leased_rows_only(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    sessions = make_sessionmaker(db)
    async with sessions() as session, session.begin():
        for platform, address in (("matrix", "@a:x"), ("matrix", "@b:x"), ("teams", "t1")):
            await outbox.enqueue(
                session,
                target=Target(platform, "user", address),  # type: ignore[arg-type]
                payload=Notice(text="x").to_json(),
                at=clock.now(),
            )
    async with sessions() as session, session.begin():
        claimed = await outbox.claim_due(
            session,
            platforms=["matrix", "teams"],
            now=clock.now(),
            lease=timedelta(minutes=5),
            holder="old",
        )
        assert len(claimed) == 3
    async with sessions() as session, session.begin():
        assert await outbox.release_platform(session, platform="matrix") == 2
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
    assert [(r.platform, r.lease_holder) for r in rows] == [
        ("matrix", None),
        ("matrix", None),
        ("teams", "old"),
    ]


class BadToken(StandIn):
    async def start(self, on_inbound: InboundHandler) -> None:
        raise MatrixSetupError("the Matrix access token is not valid")


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)  # the lock is PostgreSQL's
async def test_a_setup_error_at_takeover_is_reported_and_frees_the_lock(
    db: AsyncEngine,
) -> None:
    first, _ = _instance(db)
    second = LeaderElectedMatrix(
        lambda _config: cast(MatrixAdapter, BadToken()),
        LeaderLock(db, leadership.LOCK_NAME),
        make_sessionmaker(db),
        load_config(None),
    )
    try:
        await first.start(_handle)
        await second.start(_handle)
        assert second.health() is None
        await first.stop()  # a graceful stop: the standby takes over, and fails
        await _until(lambda: second.health() is not None, "the setup error reported")
        assert second.health() == "setup error: MatrixSetupError"
        assert not second.active
        assert second._task is not None
        await _until(second._task.done, "no more attempts: it would never help")
        third = LeaderLock(db, leadership.LOCK_NAME)
        assert await third.try_acquire(), "the lock is free for an instance that can serve"
        await third.release()
    finally:
        await first.stop()
        await second.stop()
