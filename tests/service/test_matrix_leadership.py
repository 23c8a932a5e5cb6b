"""Matrix failover between two instances (adapters/matrix/leadership.py), with stand-in
adapters: one active, one standby that reports ready as a standby and sends nothing; the
standby takes over when the active one's lock connection dies, and the old active one
stops Matrix at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import cast

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.matrix import leadership
from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.leadership import LeaderElectedMatrix
from bot.delivery import DeliveryError, InboundHandler, OutboxSender
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound, Notice, Target
from bot.ops.health import is_active, platform_checks
from storage.engine import make_sessionmaker
from storage.leader_lock import LeaderLock


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

    def make() -> MatrixAdapter:
        made.append(StandIn())
        return cast(MatrixAdapter, made[-1])

    return LeaderElectedMatrix(make, LeaderLock(db, leadership.LOCK_NAME)), made


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

        assert first.lock._conn is not None  # its process dies: its session ends
        pid = (await first.lock._conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with db.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await conn.commit()
        await _until(lambda: second.active, "the standby took over")
        assert [m.started for m in second_made] == [1]
        assert sender.sending_platforms() == ["matrix"]
        await _until(lambda: not first.active, "the old active one stopped Matrix")
        assert first_made[0].stopped == 1
        [check] = platform_checks({"matrix": first})
        assert check.ok and "standby" in check.detail, "it waits as the standby now"

        await second.stop()  # a graceful stop hands the lock back at once
        await _until(lambda: first.active, "the first instance took over again")
        assert len(first_made) == 2, "with a fresh adapter"
    finally:
        await first.stop()
        await second.stop()
