"""Matrix turn: the hotline's intake step in a DM next to a bare matrix-nio echo bot.

One throwaway Synapse (tests/matrix/synapse.py) serves both bots in the same run; the
hotline is the real bot (serve: sync loop, inbox worker, engine, outbox) on SQLite, built as
the Matrix end-to-end tests build it (tests/matrix/bot_fixture.py). A turn is: a requester
sends an m.text into the DM, until the bot's m.notice reaches the requester's /sync. The
hotline's step is a real intake step that reads and writes the database: "1" (customer group,
saved in the profile -> topic menu) and "zurück" (back -> customer group question),
alternating. This is the end-to-end latency as users feel it: from the client's send until
the reply is in the client's sync. Sequential turns run in blocks that alternate between the
two bots; with 20 users in flight (each sending its next message when the last one was
answered), rounds alternate echo, hotline, echo, hotline (four rounds each in the full
mode, two in the quick one, with fewer users). Before each echo block the hotline must be
idle (outbox empty, no reactions being added), so the echo bot never pays for the hotline's
leftover load on Synapse. Rows: median and p95 of each, turns/s in flight; latency ratios
are hotline / echo of the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tests.bench.table import Row, median, percentile, skipped

if TYPE_CHECKING:
    import nio

    from tests.bench.matrix_rig import Probe
    from tests.matrix.synapse import RegisteredUser, SynapseServer
    from tests.matrix.world import World

STEPS = (("1", "Worum geht es?"), ("zurück", "Zu welcher Kundengruppe"))
TARGET = "target: median <= 1.10x echo"
P95_TARGET = "target: p95 <= 1.20x echo"
BLOCK = 20  # sequential turns per block
Turn = Callable[["Probe", int], Awaitable[float]]


async def hotline_turn(probe: Probe, index: int) -> float:
    """One intake step (index even: "1", odd: "zurück")."""
    text, expect = STEPS[index % 2]
    return await probe.turn(text, expect)


async def echo_turn(probe: Probe, index: int) -> float:
    """One echo turn."""
    return await probe.turn(f"ping {index}", f"echo: ping {index}")


async def _at_once(probes: list[Probe], turns: int, turn: Turn, latencies: list[float]) -> float:
    """Every probe does `turns` turns in a row, all at once; add each turn's latency to
    `latencies`; return the wall time."""

    async def one(probe: Probe) -> None:
        for index in range(turns):
            latencies.append(await turn(probe, index))

    started = time.perf_counter()
    await asyncio.gather(*(one(probe) for probe in probes))
    return time.perf_counter() - started


async def _idle(world: World) -> None:
    """Until the hotline has nothing left to send, then a breath for Synapse."""
    from adapters.matrix.adapter import MatrixAdapter

    async with asyncio.timeout(60):
        while True:
            adapter = world.bot.adapter
            assert isinstance(adapter, MatrixAdapter)
            if not adapter.reactions.running and not await world.bot.pending_outbox():
                break
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def _synapse(workdir: Path) -> AsyncIterator[SynapseServer]:
    from tests.matrix.synapse import SynapseServer, find_synapse_venv

    server = SynapseServer(find_synapse_venv())
    await server.start_async(workdir)
    try:
        yield server
    finally:
        await server.stop_async()


async def run(quick: bool) -> list[Row]:
    """Median and p95 of sequential turns and of turns with users in flight; turns/s."""
    from tests.matrix.synapse import find_synapse_venv, synapse_missing_reason

    missing = synapse_missing_reason(find_synapse_venv())
    if missing:
        return [skipped("Matrix turn", missing)]
    sequential, users, per_user, rounds = (20, 4, 2, 2) if quick else (200, 20, 4, 4)
    with tempfile.TemporaryDirectory(prefix="bench-matrix-") as tmp:
        async with _synapse(Path(tmp) / "synapse") as server:
            return await _measure(server, Path(tmp), sequential, (users, per_user, rounds))


async def _measure(
    server: SynapseServer, tmp: Path, sequential: int, flight: tuple[int, int, int]
) -> list[Row]:
    from tests.bench.matrix_rig import EchoBot, Probe
    from tests.matrix.synapse import nio_client
    from tests.matrix.world import make_world

    store = tmp / "nio-store"
    clients: list[nio.AsyncClient] = []

    async def make_client(user: RegisteredUser) -> nio.AsyncClient:
        client = await nio_client(user, store)
        clients.append(client)
        return client

    echo = await EchoBot.create(await server.register("echo"), store)
    world = await make_world(server, tmp / "data", make_client, os.environ.__setitem__)
    probes: list[Probe] = []

    async def open_probes(bot_id: str, count: int, greet: bool) -> list[Probe]:
        opened = [
            await Probe.open(await server.register("req"), store, bot_id) for _ in range(count)
        ]
        probes.extend(opened)
        if greet:
            await asyncio.gather(*(p.turn("Hallo", STEPS[1][1]) for p in opened))
        else:
            await asyncio.gather(*(echo_turn(p, -1) for p in opened))
        return opened

    try:
        (bot_one,) = await open_probes(world.bot_id, 1, greet=True)
        (echo_one,) = await open_probes(echo.client.user_id, 1, greet=False)
        bot_seq: list[float] = []
        echo_seq: list[float] = []
        for first in range(0, sequential, BLOCK):
            block = range(first, min(first + BLOCK, sequential))
            await _idle(world)
            echo_seq += [await echo_turn(echo_one, index) for index in block]
            bot_seq += [await hotline_turn(bot_one, index) for index in block]
        users, per_user, rounds = flight
        bot_many = await open_probes(world.bot_id, users, greet=True)
        echo_many = await open_probes(echo.client.user_id, users, greet=False)
        bot_time = echo_time = 0.0
        bot_flight: list[float] = []
        echo_flight: list[float] = []
        for _ in range(rounds):
            await _idle(world)
            echo_time += await _at_once(echo_many, per_user, echo_turn, echo_flight)
            bot_time += await _at_once(bot_many, per_user, hotline_turn, bot_flight)
    finally:
        for probe in probes:
            await probe.close()
        await world.bot.stop()
        await echo.close()
        for client in clients:
            await client.close()
    turns = f"{sequential} turns each"
    flown = f"{users} users x {rounds * per_user} turns each ({rounds} rounds)"
    return [
        Row(
            "Matrix turn, median",
            1000 * median(bot_seq),
            1000 * median(echo_seq),
            "ms",
            f"{turns}; {TARGET}",
        ),
        Row(
            "Matrix turn, p95",
            1000 * percentile(bot_seq, 0.95),
            1000 * percentile(echo_seq, 0.95),
            "ms",
            f"{turns}; {P95_TARGET}",
        ),
        Row(
            f"Matrix turn, {users} in flight",
            len(bot_flight) / bot_time,
            len(echo_flight) / echo_time,
            "turns/s",
            flown,
        ),
        Row(
            f"Matrix turn, {users} in flight, median",
            1000 * median(bot_flight),
            1000 * median(echo_flight),
            "ms",
            flown,
        ),
        Row(
            f"Matrix turn, {users} in flight, p95",
            1000 * percentile(bot_flight, 0.95),
            1000 * percentile(echo_flight, 0.95),
            "ms",
            flown,
        ),
    ]
