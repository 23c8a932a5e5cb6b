"""python -m tests.chaos kill|outage|scale [--store sqlite|postgres|both] [--turns N] ...

  kill    the bot process is killed -9 `--kills` times during `--turns` turns and restarted
  outage  the bot's PostgreSQL (a private server on another port) is stopped for `--seconds`
          while turns keep coming
  scale   two processes on PostgreSQL behind HAProxy, one killed -9 a third into the run
          (tests/chaos/scale_chaos.py; `--store` does not apply)

Prints one line per store: turns, lost, doubled, retried posts, time. Exit status 1 if any
turn was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from tests.chaos.teams_chaos import Figures, database_away, killing, run


async def _kill(store: str, turns: int, kills: int, seed: int) -> Figures | str:
    if store == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'hotline.db'}"
            return await run(url, store, turns, killing(kills, seed))
    from tests.bench.teams_rig import postgres_database

    async with postgres_database() as (url, why):
        if url is None:
            return why
        figures = await run(url, store, turns, killing(kills, seed))
        figures.kills = kills
        return figures


async def _outage(turns: int, seconds: float) -> Figures | str:
    from tests.private_postgres import binaries, fresh_database, private_postgres

    if binaries() is None:
        return "no PostgreSQL server binaries for a private server"
    with private_postgres() as server:
        url = await fresh_database(server)
        figures = await run(
            url, "postgres", turns, database_away(server.stop, server.start, seconds)
        )
        figures.outage_seconds = seconds
        return figures


async def _scale(turns: int) -> str:
    """The scale-out kill run's line, or why it did not run."""
    from tests.bench.teams_rig import postgres_database
    from tests.chaos.scale_chaos import kill_one
    from tests.teams.haproxy import haproxy_binary

    binary = haproxy_binary()
    if binary is None:
        return "skipped: no haproxy binary (apt-get install haproxy)"
    async with postgres_database() as (url, why):
        if url is None:
            return f"skipped: {why}"
        figures = await kill_one(url, binary, turns, users=30)
    if figures.lost or figures.doubled:
        return f"{figures.line()}\n  FAILED: lost {figures.lost}, doubled {figures.doubled}"
    return figures.line()


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("mode", choices=("kill", "outage", "scale"))
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--turns", type=int, default=None, help="default 200 (kill, scale), 150 (outage)"
    )
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CHAOS_SEED", "14")))
    args = parser.parse_args(argv)
    results: list[Figures | str] = []
    if args.mode == "scale":
        line = await _scale(args.turns or 200)
        print(line)
        return 1 if "FAILED" in line else 0
    if args.mode == "kill":
        stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)
        for store in stores:
            result = await _kill(store, args.turns or 200, args.kills, args.seed)
            if isinstance(result, Figures):
                result.kills = args.kills
            results.append(result)
    else:
        results.append(await _outage(args.turns or 150, args.seconds))
    failed = False
    for result in results:
        if isinstance(result, str):
            print(f"skipped: {result}")
            continue
        print(result.line())
        if result.lost or result.doubled:
            failed = True
            print(f"  lost turns: {result.lost}\n  doubled turns: {result.doubled}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
