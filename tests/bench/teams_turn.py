"""Teams turn: the hotline's intake step next to botbuilder's stock echo bot.

Both bots run in this process against the same local Bot Connector emulator (its own thread),
anonymous, on 127.0.0.1. A turn is: POST a personal-chat message to /api/messages, until the
answer has reached the connector (the hotline answers through its outbox, the echo bot inside
the turn). The hotline's step is a real intake step that reads and writes the database:
a requester alternates "1" (customer group, saved in the profile -> topic menu) and "zurück"
(back -> customer group question). The hotline runs once per store (SQLite file, and a fresh
PostgreSQL database that is dropped afterwards; its rows are skipped with the reason when no
PostgreSQL answers), all against the same echo bot: sequential turns alternate echo, hotline on
each store; the 20-in-flight rounds alternate the same way (ten short rounds each in the full
mode, two in the quick one).

Two latencies per turn: the turn (until the POST is answered and the answer has reached the
connector, whichever is later) and the end-to-end one, as users feel it: from the inbound
POST until the answer ARRIVES at the connector emulator (the echo bot answers inside the
turn, the hotline through its outbox after the turn). Both get median and p95 rows; latency
ratios are hotline / echo of the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.bench.table import Row, median, percentile, skipped
from tests.bench.teams_rig import TeamsDriver, WatchedConnector, Watcher, postgres_database

STEPS = (("1", "Worum geht es?"), ("zurück", "Zu welcher Kundengruppe"))
TARGET = "target: hotline throughput >= 1.5x stock echo"
E2E_TARGET = "target: <= 1.25x echo"
Turn = Callable[[TeamsDriver, int], Awaitable[float]]
STORES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


@dataclass
class Measured:
    """One bot's latencies: sequential turns, and the in-flight turns with their wall time."""

    sequential: list[float] = field(default_factory=list)
    in_flight: list[float] = field(default_factory=list)
    in_flight_time: float = 0.0
    arrived_sequential: list[float] = field(default_factory=list)  # end to end
    arrived_in_flight: list[float] = field(default_factory=list)


async def hotline_turn(driver: TeamsDriver, index: int) -> float:
    """One intake step (index even: "1", odd: "zurück")."""
    text, expect = STEPS[index % 2]
    return await driver.turn(text, expect)


async def echo_turn(driver: TeamsDriver, index: int) -> float:
    """One echo turn."""
    return await driver.turn(f"ping {index}", f"echo: ping {index}")


async def _in_flight(drivers: list[TeamsDriver], turns: range, turn: Turn, into: Measured) -> None:
    """Every driver does the turns numbered `turns` one after another (the number picks the
    step), all drivers at once; add the wall time and every turn's latencies to `into`."""

    async def one(driver: TeamsDriver) -> None:
        for index in turns:
            into.in_flight.append(await turn(driver, index))
            into.arrived_in_flight.append(driver.arrived)

    started = time.perf_counter()
    await asyncio.gather(*(one(driver) for driver in drivers))
    into.in_flight_time += time.perf_counter() - started


async def run(quick: bool, stores: Sequence[str] = tuple(STORES)) -> list[Row]:
    """Sequential and 20-in-flight turns, hotline on each of `stores` vs stock botbuilder echo."""
    from bot.config.loader import load_config
    from bot.kernel.clock import SystemClock
    from tests.teams.bot_fixture import HotlineBot, teams_config
    from tests.teams.echo_bot import EchoBotServer
    from tests.teams.playground import free_port

    # Many short in-flight rounds, so that load from outside hits echo and hotline alike.
    sequential, flights, per_flight, rounds = (20, 20, 2, 2) if quick else (300, 20, 5, 10)
    missing: list[Row] = []
    connector = WatchedConnector()
    connector.start()
    connector.watcher = watcher = Watcher(asyncio.get_running_loop())
    echo = EchoBotServer()
    bots: dict[str, HotlineBot] = {}
    async with contextlib.AsyncExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-teams-")))
        stack.callback(connector.stop)
        for store in stores:
            url = None
            if store == "postgres":
                url, why = await stack.enter_async_context(postgres_database())
                if url is None:
                    print(f"   Teams turn on PostgreSQL skipped: {why}", file=sys.stderr)
                    missing.append(skipped("Teams turn, PostgreSQL", why))
                    continue
            config = teams_config(load_config(None), port=free_port(), people={})
            bot = HotlineBot(config, tmp / store, SystemClock(), database_url=url)
            await bot.start()
            stack.push_async_callback(bot.stop)
            bots[store] = bot
        await echo.start()
        stack.push_async_callback(echo.stop)
        http = await stack.enter_async_context(aiohttp.ClientSession())

        def drivers(endpoint: str, count: int, first: int) -> list[TeamsDriver]:
            url = connector.service_url
            return [TeamsDriver(http, endpoint, url, watcher, first + i) for i in range(count)]

        async def greeted(group: list[TeamsDriver]) -> list[TeamsDriver]:
            await asyncio.gather(*(d.turn("Hallo", STEPS[1][1]) for d in group))
            return group

        echo_got = Measured()
        got = {store: Measured() for store in bots}
        ones = {
            store: (await greeted(drivers(bot.endpoint, 1, 0)))[0] for store, bot in bots.items()
        }
        (echo_one,) = drivers(echo.endpoint, 1, 0)
        await echo_turn(echo_one, -1)
        for index in range(sequential):
            echo_got.sequential.append(await echo_turn(echo_one, index))
            echo_got.arrived_sequential.append(echo_one.arrived)
            for store, one in ones.items():
                got[store].sequential.append(await hotline_turn(one, index))
                got[store].arrived_sequential.append(one.arrived)
        many = {
            store: await greeted(drivers(bot.endpoint, flights, 100)) for store, bot in bots.items()
        }
        echo_many = drivers(echo.endpoint, flights, 100)
        for first in range(0, rounds * per_flight, per_flight):
            numbers = range(first, first + per_flight)
            bots_round = [(echo_got, echo_many, echo_turn)]
            bots_round += [(got[store], group, hotline_turn) for store, group in many.items()]
            for measured, group, turn in bots_round:
                await _in_flight(group, numbers, turn, measured)
    rows: list[Row] = []
    flown = f"{flights} users x {rounds * per_flight} turns each ({rounds} rounds)"
    for store, measured in got.items():
        rows += _rows(STORES[store], measured, echo_got, sequential, flown)
    for store, measured in got.items():
        rows += _end_to_end_rows(STORES[store], measured, echo_got, sequential, flown)
    return rows + missing


def _rows(store: str, bot: Measured, echo: Measured, sequential: int, flown: str) -> list[Row]:
    """The four rows of one store: throughput and median, sequential and in flight."""
    turns = f"{sequential} turns each"
    return [
        Row(
            f"Teams turn, {store}, sequential",
            len(bot.sequential) / sum(bot.sequential),
            len(echo.sequential) / sum(echo.sequential),
            "turns/s",
            f"{turns}; {TARGET}",
        ),
        Row(
            f"Teams turn, {store}, sequential, median",
            1000 * median(bot.sequential),
            1000 * median(echo.sequential),
            "ms",
            turns,
        ),
        Row(
            f"Teams turn, {store}, 20 in flight",
            len(bot.in_flight) / bot.in_flight_time,
            len(echo.in_flight) / echo.in_flight_time,
            "turns/s",
            f"{flown}; {TARGET}",
        ),
        Row(
            f"Teams turn, {store}, 20 in flight, median",
            1000 * median(bot.in_flight),
            1000 * median(echo.in_flight),
            "ms",
            flown,
        ),
    ]


def _p95(values: Sequence[float]) -> float:
    return percentile(values, 0.95)


def _end_to_end_rows(
    store: str, bot: Measured, echo: Measured, sequential: int, flown: str
) -> list[Row]:
    """Median and p95 from the POST until the answer arrived, sequential and in flight."""
    rows: list[Row] = []
    for how, bot_values, echo_values, note in (
        ("sequential", bot.arrived_sequential, echo.arrived_sequential, f"{sequential} turns"),
        ("20 in flight", bot.arrived_in_flight, echo.arrived_in_flight, flown),
    ):
        target = "" if how == "sequential" else f"; {E2E_TARGET}"
        for label, figure in (("median", median), ("p95", _p95)):
            rows.append(
                Row(
                    f"Teams end-to-end, {store}, {how}, {label}",
                    1000 * figure(bot_values),
                    1000 * figure(echo_values),
                    "ms",
                    f"POST to reply at the connector; {note}{target}",
                )
            )
    return rows
