"""The bot process measured by tests/bench/memory.py (``python -m tests.bench.memory_child``).

Builds the app on the given database with the Teams adapter (anonymous, 127.0.0.1), starts
it as `bot.runtime.serve` would, waits until /api/messages answers, and prints one JSON line
with the start-up time and the resident memory; then handles `turns` requester turns
("/status" from users with tickets and a live dialog) and prints the memory again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time

from tests.bench.machine import rss_mib


def _report(**values: float | None) -> None:
    print(json.dumps(values), flush=True)


async def measure(url: str, port: int, turns: int) -> None:
    """Start the bot on `url`, report start-up and RSS, run `turns` turns, report RSS."""
    started = time.perf_counter()
    import aiohttp

    from bot.app import build_app
    from bot.config.loader import load_config
    from bot.runtime import serve
    from tests.teams.bot_fixture import activity_json, teams_config

    config = teams_config(load_config(None), port=port, people={})
    app = build_app(config=config, url=url, platforms=("teams",))
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
        for number in range(turns):
            body = activity_json(
                id=f"memory-{number}",
                serviceUrl="http://127.0.0.1:9/",  # nothing listens: the outbox retries later
                text="/status",
                conversation={"id": f"a:conversation-{number}", "conversationType": "personal"},
                **{"from": {"id": f"29:user-{number}", "aadObjectId": f"aad-{number}"}},
            )
            async with http.post(endpoint, json=body) as answer:
                await answer.read()
                if answer.status >= 300:
                    raise RuntimeError(f"turn {number} answered {answer.status}")
        _report(rss_mib=rss_mib())
    stop.set()
    await task


def main() -> None:
    """Parse `url port turns` and measure."""
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("port", type=int)
    parser.add_argument("turns", type=int)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    asyncio.run(measure(args.url, args.port, args.turns))


if __name__ == "__main__":
    main()
