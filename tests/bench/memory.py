"""Memory: resident memory and start-up time of a bot process on a full database.

The bot runs in a subprocess (tests/bench/memory_child.py), so the figure is its own. The
baseline is the same bot on an empty (migrated) database of the same store in the same run:
the ratio shows how much the live dialogs and open tickets cost, the absolute figure the
150 MB target. Both processes handle the same 1,000 mixed turns (sweeps and digests
included), so a turn that loads what grows with the database shows in the second row.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from tests.bench.seed import seed
from tests.bench.table import Row, skipped

REPO_ROOT = Path(__file__).resolve().parents[2]
TARGET = "target: <= 150 MB (143 MiB)"
TURNS = 1_000
STORES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


async def _child(url: str, turns: int) -> list[dict[str, Any]]:
    """Run the bot process on `url`; its JSON reports (start-up, then after the turns)."""
    from tests.teams.playground import free_port

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "tests.bench.memory_child", url, str(free_port()), str(turns)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    async with asyncio.timeout(1_200):
        out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"memory_child failed ({process.returncode}): {err.decode()[-600:]}")
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


@asynccontextmanager
async def _databases(store: str) -> AsyncIterator[tuple[str | None, str, str]]:
    """(full URL, empty URL, "") on `store`, or (None, "", why) when it cannot be had."""
    if store == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
            yield (
                f"sqlite+aiosqlite:///{Path(tmp) / 'full.db'}",
                f"sqlite+aiosqlite:///{Path(tmp) / 'empty.db'}",
                "",
            )
        return
    from tests.bench.teams_rig import postgres_database

    async with AsyncExitStack() as stack:
        full, why = await stack.enter_async_context(postgres_database())
        empty, _ = await stack.enter_async_context(postgres_database())
        yield (full, empty or "", why) if full and empty else (None, "", why)


async def run(quick: bool, stores: Sequence[str] = tuple(STORES)) -> list[Row]:
    """RSS at ready and after the turns, and start-up time: full database vs empty."""
    dialogs, tickets = (1_000, 1_000) if quick else (10_000, 100_000)
    turns = 50 if quick else TURNS
    rows: list[Row] = []
    for store in stores:
        name = STORES[store]
        async with _databases(store) as (full, empty, why):
            if full is None:
                rows.append(skipped(f"Memory, {name}", why))
                continue
            await seed(full, dialogs=dialogs, tickets=tickets)
            await seed(empty, dialogs=0, tickets=0)
            bot = await _child(full, turns)
            base = await _child(empty, turns)
        load = f"{dialogs:,} live dialogs + {tickets:,} open tickets vs empty DB"
        rows += [
            Row(
                f"Memory, {name}: RSS at ready",
                bot[0]["rss_mib"],
                base[0]["rss_mib"],
                "MiB",
                f"{load}; {TARGET}",
            ),
            Row(
                f"Memory, {name}: RSS after {turns:,} mixed turns",
                bot[1]["rss_mib"],
                base[1]["rss_mib"],
                "MiB",
                f"{load}; target: <= 1.2x; {TARGET}",
            ),
            Row(
                f"Start-up, {name}: build_app + start until ready",
                bot[0]["startup_s"],
                base[0]["startup_s"],
                "s",
                load,
            ),
        ]
    return rows
