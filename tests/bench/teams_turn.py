"""Teams turn: the hotline's intake step next to botbuilder's stock echo bot.

Both bots run in this process against the same local Bot Connector emulator (its own thread),
anonymous, on 127.0.0.1. A turn is: POST a personal-chat message to /api/messages, until the
answer has reached the connector (the hotline answers through its outbox, the echo bot inside
the turn). The hotline's step is a real intake step that reads and writes the database
(SQLite): a requester alternates "1" (customer group, saved in the profile -> topic menu) and
"zurück" (back -> customer group question). Sequential turns alternate between the two bots;
the 20-in-flight rounds alternate echo, hotline, echo, hotline.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from tests.bench.table import Row, median
from tests.bench.teams_rig import TeamsDriver, WatchedConnector, Watcher

STEPS = (("1", "Worum geht es?"), ("zurück", "Zu welcher Kundengruppe"))
TARGET = "target: hotline throughput >= 1.5x stock echo"
Turn = Callable[[TeamsDriver, int], Awaitable[float]]


async def hotline_turn(driver: TeamsDriver, index: int) -> float:
    """One intake step (index even: "1", odd: "zurück")."""
    text, expect = STEPS[index % 2]
    return await driver.turn(text, expect)


async def echo_turn(driver: TeamsDriver, index: int) -> float:
    """One echo turn."""
    return await driver.turn(f"ping {index}", f"echo: ping {index}")


async def _in_flight(
    drivers: list[TeamsDriver], turns: range, turn: Turn
) -> tuple[float, list[float]]:
    """Every driver does the turns numbered `turns` one after another (the number picks the
    step), all drivers at once; return the wall time and every turn's latency."""
    latencies: list[float] = []

    async def one(driver: TeamsDriver) -> None:
        for index in turns:
            latencies.append(await turn(driver, index))

    started = time.perf_counter()
    await asyncio.gather(*(one(driver) for driver in drivers))
    return time.perf_counter() - started, latencies


async def run(quick: bool) -> list[Row]:
    """Sequential and 20-in-flight turns, hotline vs stock botbuilder echo."""
    from bot.clock import SystemClock
    from bot.config.loader import load_config
    from tests.teams.bot_fixture import HotlineBot, teams_config
    from tests.teams.echo_bot import EchoBotServer
    from tests.teams.playground import free_port

    sequential, flights, per_flight = (20, 20, 2) if quick else (300, 20, 25)
    connector = WatchedConnector()
    connector.start()
    connector.watcher = watcher = Watcher(asyncio.get_running_loop())
    echo = EchoBotServer()
    with tempfile.TemporaryDirectory(prefix="bench-teams-") as tmp:
        config = teams_config(load_config(None), port=free_port(), people={})
        hotline = HotlineBot(config, Path(tmp) / "bot", SystemClock())
        await hotline.start()
        await echo.start()
        try:
            async with aiohttp.ClientSession() as http:

                def drivers(endpoint: str, count: int, first: int) -> list[TeamsDriver]:
                    url = connector.service_url
                    return [
                        TeamsDriver(http, endpoint, url, watcher, first + i) for i in range(count)
                    ]

                async def greeted(group: list[TeamsDriver]) -> list[TeamsDriver]:
                    await asyncio.gather(*(d.turn("Hallo", STEPS[1][1]) for d in group))
                    return group

                (bot_one,) = await greeted(drivers(hotline.endpoint, 1, 0))
                (echo_one,) = drivers(echo.endpoint, 1, 0)
                await echo_turn(echo_one, -1)
                bot_seq: list[float] = []
                echo_seq: list[float] = []
                for index in range(sequential):
                    echo_seq.append(await echo_turn(echo_one, index))
                    bot_seq.append(await hotline_turn(bot_one, index))
                bot_many = await greeted(drivers(hotline.endpoint, flights, 100))
                echo_many = drivers(echo.endpoint, flights, 100)
                bot_time = echo_time = 0.0
                bot_par: list[float] = []
                echo_par: list[float] = []
                for first in (0, per_flight):
                    numbers = range(first, first + per_flight)
                    elapsed, latencies = await _in_flight(echo_many, numbers, echo_turn)
                    echo_time, echo_par = echo_time + elapsed, echo_par + latencies
                    elapsed, latencies = await _in_flight(bot_many, numbers, hotline_turn)
                    bot_time, bot_par = bot_time + elapsed, bot_par + latencies
        finally:
            await echo.stop()
            await hotline.stop()
            connector.stop()
    turns = f"{sequential} turns each"
    flown = f"{flights} users x {2 * per_flight} turns each"
    return [
        Row(
            "Teams turn, sequential",
            sequential / sum(bot_seq),
            sequential / sum(echo_seq),
            "turns/s",
            f"{turns}; {TARGET}",
        ),
        Row(
            "Teams turn, sequential, median",
            1000 * median(bot_seq),
            1000 * median(echo_seq),
            "ms",
            turns,
        ),
        Row(
            "Teams turn, 20 in flight",
            len(bot_par) / bot_time,
            len(echo_par) / echo_time,
            "turns/s",
            f"{flown}; {TARGET}",
        ),
        Row(
            "Teams turn, 20 in flight, median",
            1000 * median(bot_par),
            1000 * median(echo_par),
            "ms",
            flown,
        ),
    ]
