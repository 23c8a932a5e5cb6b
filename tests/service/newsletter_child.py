"""A bot process that dispatches one newsletter batch, then dies in the middle of the next.

    python -m tests.service.newsletter_child 2026-11-30T09:05:00+01:00

Reads HOTLINE_DATABASE_URL (and HOTLINE_TEST_SCHEMA for a PostgreSQL schema). Commits one
batch and prints "dispatched N"; then starts the next batch, writes a few of its outbox rows
inside the still open transaction, prints "halfway" and waits there to be killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime
from typing import Any

from bot.config.loader import load_config
from bot.kernel.clock import FrozenClock
from bot.newsletter import sending
from bot.newsletter.sending import MIN_GAP, NewsletterDispatcher
from storage.engine import database_url, make_engine, make_sessionmaker

STALL_AFTER = 3  # outbox rows written in the second batch before the process hangs


async def main(moment: datetime) -> None:
    """Dispatch one batch at `moment`, report, then hang inside the second batch."""
    schema = os.environ.get("HOTLINE_TEST_SCHEMA")
    kwargs = {"connect_args": {"server_settings": {"search_path": schema}}} if schema else {}
    engine = make_engine(database_url(), **kwargs)
    clock = FrozenClock(moment)
    dispatcher = NewsletterDispatcher(load_config(None), make_sessionmaker(engine), clock)
    print(f"dispatched {await dispatcher.dispatch_due()}", flush=True)

    enqueue = sending.outbox.enqueue
    written = 0

    async def stalling_enqueue(*args: Any, **kwargs: Any) -> None:
        nonlocal written
        await enqueue(*args, **kwargs)
        written += 1
        if written == STALL_AFTER:
            print("halfway", flush=True)
            await asyncio.Event().wait()  # the transaction never commits: killed here

    sending.outbox.enqueue = stalling_enqueue  # type: ignore[assignment]
    clock.advance(MIN_GAP)
    await dispatcher.dispatch_due()


if __name__ == "__main__":
    asyncio.run(main(datetime.fromisoformat(sys.argv[1])))
