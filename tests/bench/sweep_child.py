"""One sweeping process of the overdue benchmark (tests/bench/sweep.py).

    python -m tests.bench.sweep_child URL SCHEMA MOMENT

Connects, prints "ready", waits for a line on stdin, sweeps at MOMENT until nothing is
left, prints "done FIRED MS" and exits.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime

from sqlalchemy import text

from bot.config.loader import load_config
from bot.escalation.sweep import Sweeper
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from storage.engine import make_engine, make_sessionmaker


async def main(url: str, schema: str, moment: datetime) -> None:
    """Sweep once everyone is ready; report what was fired and how long it took."""
    engine = make_engine(url, connect_args={"server_settings": {"search_path": schema}})
    sweeper = Sweeper(load_config(None), make_sessionmaker(engine), FrozenClock(moment))
    async with engine.connect() as connection:  # the pool's first connection, up front
        await connection.execute(text("SELECT 1"))
    t("ticket.interim", "de")  # a running bot has its catalogue loaded: not part of a sweep
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    started = time.perf_counter()
    report = await sweeper.sweep()
    elapsed = (time.perf_counter() - started) * 1000
    print(f"done {report.fired} {elapsed:.1f}", flush=True)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])))
