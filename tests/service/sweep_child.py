"""A bot process that sweeps once and then hangs, to be killed by a test before it sends.

    python -m tests.service.sweep_child 2026-11-30T13:30:00+01:00

Reads HOTLINE_DATABASE_URL (and HOTLINE_TEST_SCHEMA for a PostgreSQL schema); prints
"swept N" once the sweep's transaction is committed, then waits to be killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime

from bot.config.loader import load_config
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from storage.engine import database_url, make_engine, make_sessionmaker


async def main(moment: datetime) -> None:
    """Sweep at `moment`, report, and never deliver."""
    schema = os.environ.get("HOTLINE_TEST_SCHEMA")
    kwargs = {"connect_args": {"server_settings": {"search_path": schema}}} if schema else {}
    engine = make_engine(database_url(), **kwargs)
    sweeper = Sweeper(load_config(None), make_sessionmaker(engine), FrozenClock(moment))
    report = await sweeper.sweep()
    print(f"swept {report.fired}", flush=True)
    await asyncio.Event().wait()  # the "sender" never gets to run: the test kills us here


if __name__ == "__main__":
    asyncio.run(main(datetime.fromisoformat(sys.argv[1])))
