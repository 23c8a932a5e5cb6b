"""The composition root starts ONE scheduler whose jobs sweep the database and send digests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import time, timedelta
from pathlib import Path

from bot.app import build_app
from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.runtime import serve
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from tests.conftest import berlin
from tests.service.sweep_support import open_tickets, step_keys


async def wait_for(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_serve_runs_the_sweep_at_start_and_on_its_interval(
    config: OrgConfig, clock: FrozenClock, tmp_path: Path
) -> None:
    """Wiring only, on the embedded default (SQLite); the sweep itself is tested on both."""
    fast = replace(
        config,
        escalation=replace(
            config.escalation, sweep_interval=timedelta(seconds=1), digest_at=time(8, 45)
        ),
    )
    url = f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
    engine = make_engine(url)
    await upgrade(engine)
    sessions = make_sessionmaker(engine)
    await open_tickets(fast, sessions, clock, 2, topic="haushalt")
    clock.set(berlin(2026, 11, 30, 13, 30))
    app = build_app(config=fast, url=url, clock=clock, platforms=("local",))
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop))
    try:
        # The first sweep runs at once: both reminders are recorded.
        async def reminded() -> bool:
            return len(await step_keys(sessions)) == 2

        await wait_for(reminded)
        # A later step is found by a later round of the interval job.
        clock.set(berlin(2026, 11, 30, 15, 30))

        async def breached() -> bool:
            return len(await step_keys(sessions)) == 4

        await wait_for(breached)
        assert app.jobs.scheduler is not None
        assert {job.id for job in app.jobs.scheduler.get_jobs()} == {
            "deadline-sweep",
            "daily",
            "workshops",
            "newsletters",
        }
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert app.jobs.scheduler is not None and not app.jobs.scheduler.running
    await engine.dispose()
