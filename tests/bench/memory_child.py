"""The bot process measured by tests/bench/memory.py (``python -m tests.bench.memory_child``).

Builds the app on the given database with the Teams adapter (anonymous, 127.0.0.1), starts
it as `bot.runtime.serve` would, waits until /api/messages answers, and prints one JSON line
with the start-up time and the resident memory; then handles `turns` mixed turns (see
`MIX`: requesters' /status, /meine, /status N, /verlauf N and intake steps; staff's /queue
and /status N) with a deadline sweep and the daily digest every `JOBS_EVERY` turns, and
prints the memory again. Its clock runs from the next Monday 09:00 in Berlin, so the
digest is a working day's, with last week's report. The mix is what a busy day brings, so
a turn that loads what grows with the database shows here, not only the one command the
benchmark once sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from tests.bench.machine import rss_mib

JOBS_EVERY = 100  # turns between a sweep plus digest run
STAFF = {"hh.schneider": "aad-staff-hh", "bk.berger": "aad-staff-bk"}
# (who, text): "user" a requester with a live intake dialog and tickets (user n owns
# ticket n + 1, see tests/bench/seed.py), "staff" a team member; {n} the ticket's number.
MIX: tuple[tuple[str, str], ...] = (
    ("user", "/status"),
    ("user", "/meine"),
    ("user", "/status {n}"),
    ("user", "/verlauf {n}"),
    ("user", "Frage zum Haushalt"),  # an intake step in the live dialog
    ("staff", "/queue"),
    ("staff", "/status {n}"),
)


def _monday_morning() -> datetime:
    """The next Monday 09:00 in Berlin: a working day's office hours on which the daily
    digest also brings last week's report (the seeded tickets opened last week)."""
    berlin = ZoneInfo("Europe/Berlin")
    today = datetime.now(berlin).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime.combine(monday, clock_time(9), tzinfo=berlin)


def _report(**values: float | None) -> None:
    print(json.dumps(values), flush=True)


def _activity(number: int) -> dict[str, Any]:
    from tests.teams.bot_fixture import activity_json

    who, text = MIX[number % len(MIX)]
    user = number % 2_000  # seeded users 0..1999 exist in every dataset but the empty one
    if who == "staff":
        staff = tuple(STAFF.values())[number % len(STAFF)]
        sender = {"id": f"29:{staff}", "aadObjectId": staff}
        conversation = f"a:staff-{staff}"
    else:
        sender = {"id": f"29:user-{user}", "aadObjectId": f"aad-{user}"}
        conversation = f"a:conversation-{user}"
    return activity_json(
        id=f"memory-{number}",
        serviceUrl="http://127.0.0.1:9/",  # nothing listens: the outbox retries later
        text=text.format(n=user + 1),
        conversation={"id": conversation, "conversationType": "personal"},
        **{"from": sender},
    )


def _top(limit: int) -> list[dict[str, Any]]:
    """The source lines holding the most traced memory now (tracemalloc, --trace)."""
    import tracemalloc

    stats = tracemalloc.take_snapshot().statistics("lineno")[:limit]
    return [
        {"where": f"{s.traceback[0].filename}:{s.traceback[0].lineno}", "kib": s.size // 1024}
        for s in stats
    ]


async def measure(url: str, port: int, turns: int, trace: int = 0) -> None:
    """Start the bot on `url`, report start-up and RSS, run `turns` turns, report RSS (and
    with `trace` the lines holding the most memory, before and after the turns)."""
    started = time.perf_counter()
    import aiohttp

    from bot.app import build_app
    from bot.config.loader import load_config
    from bot.kernel.clock import ShiftedClock
    from bot.runtime import serve
    from tests.teams.bot_fixture import teams_config

    config = teams_config(load_config(None), port=port, people=STAFF)
    clock = ShiftedClock.starting_at(_monday_morning())
    app = build_app(config=config, url=url, clock=clock, platforms=("teams",))
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop), name="serve")
    endpoint = f"http://127.0.0.1:{port}/api/messages"
    async with aiohttp.ClientSession() as http:
        while True:
            if task.done():
                task.result()
            try:
                async with http.post(endpoint, data=b"{}") as answer:
                    if answer.status == 400:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.01)
        _report(startup_s=time.perf_counter() - started, rss_mib=rss_mib())
        if trace:
            print(json.dumps({"top_at_ready": _top(trace)}), flush=True)
        for number in range(turns):
            async with http.post(endpoint, json=_activity(number)) as answer:
                await answer.read()
                if answer.status >= 300:
                    raise RuntimeError(f"turn {number} answered {answer.status}")
            if number % JOBS_EVERY == JOBS_EVERY - 1:
                await app.jobs.run_sweep()
                await app.jobs.run_digest()
        _report(rss_mib=rss_mib())
        if trace:
            import tracemalloc

            print(json.dumps({"top_after_turns": _top(trace)}), flush=True)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            print(json.dumps({"traced_peak_mib": round(peak, 1)}), flush=True)
    stop.set()
    await task


def main() -> None:
    """Parse `url port turns` and measure."""
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("port", type=int)
    parser.add_argument("turns", type=int)
    parser.add_argument(
        "--trace", type=int, default=0, help="trace allocations, print the N biggest lines"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    if args.trace:
        import tracemalloc

        tracemalloc.start()
    asyncio.run(measure(args.url, args.port, args.turns, args.trace))


if __name__ == "__main__":
    main()
