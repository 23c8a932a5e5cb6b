"""`python -m tests.fuzz [--messages 5000] [--store sqlite|postgres] [--seed N]`: fuzz the
engine on a fresh store and print the figures; exit status 1 unless all of escaped
exceptions, unanswered messages and internal-error apologies are 0.

PostgreSQL: HOTLINE_TEST_PG_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test),
in a private schema dropped afterwards. SQLite: a file in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config.loader import load_config
from bot.kernel.clock import FrozenClock
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from tests.conftest import DEFAULT_PG_URL, PG_URL_ENV, world_day_start
from tests.fuzz.run import Figures, Fuzz


@asynccontextmanager
async def fresh_store(store: str) -> AsyncIterator[AsyncEngine]:
    """A freshly migrated database, removed afterwards."""
    if store == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite+aiosqlite:///{Path(folder) / 'fuzz.db'}")
            try:
                await upgrade(engine)
                yield engine
            finally:
                await engine.dispose()
        return
    url = os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)
    schema = f"fuzz_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        await upgrade(engine)
        yield engine
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def fuzz(store: str, messages: int, seed: int) -> Figures:
    """One run on a fresh store of the kind `store`."""
    async with fresh_store(store) as engine:
        clock = FrozenClock(world_day_start())
        return await Fuzz(load_config(None), make_sessionmaker(engine), clock, seed).run(messages)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    figures = asyncio.run(fuzz(args.store, args.messages, args.seed))
    print(figures.report(f"{args.store}, seed {args.seed}"))
    return 0 if figures.clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
