"""Memory: resident memory and start-up time of a bot process on a full database.

The bot runs in a subprocess (tests/bench/memory_child.py), so the figure is its own. The
baseline is the same bot on an empty (migrated) database in the same run: the ratio shows
how much the live dialogs and open tickets cost, the absolute figure the 150 MB target.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.bench.seed import seed
from tests.bench.table import Row

REPO_ROOT = Path(__file__).resolve().parents[2]
TARGET = "target: <= 150 MB (143 MiB)"
TURNS = 20


async def _child(url: str) -> list[dict[str, Any]]:
    """Run the bot process on `url`; its JSON reports (start-up, then after the turns)."""
    from tests.teams.playground import free_port

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "tests.bench.memory_child", url, str(free_port()), str(TURNS)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    async with asyncio.timeout(300):
        out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"memory_child failed ({process.returncode}): {err.decode()[-600:]}")
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


async def run(quick: bool) -> list[Row]:
    """RSS at ready and after some turns, and start-up time: full database vs empty."""
    dialogs, tickets = (1_000, 1_000) if quick else (10_000, 100_000)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        full = f"sqlite+aiosqlite:///{Path(tmp) / 'full.db'}"
        empty = f"sqlite+aiosqlite:///{Path(tmp) / 'empty.db'}"
        await seed(full, dialogs=dialogs, tickets=tickets)
        await seed(empty, dialogs=0, tickets=0)
        bot = await _child(full)
        base = await _child(empty)
    load = f"{dialogs:,} live dialogs + {tickets:,} open tickets vs empty DB"
    return [
        Row(
            "Memory: RSS at ready",
            bot[0]["rss_mib"],
            base[0]["rss_mib"],
            "MiB",
            f"{load}; {TARGET}",
        ),
        Row(
            f"Memory: RSS after {TURNS} turns",
            bot[1]["rss_mib"],
            base[1]["rss_mib"],
            "MiB",
            f"{load}; /status turns",
        ),
        Row(
            "Start-up: build_app + start until ready",
            bot[0]["startup_s"],
            base[0]["startup_s"],
            "s",
            load,
        ),
    ]
