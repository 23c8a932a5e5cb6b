"""Teams scale-out: one bot process vs two, both behind the same HAProxy, on PostgreSQL.

Each setup is tests/teams/scale_rig.py: bot processes (tests/chaos/teams_child.py) on a fresh
PostgreSQL database, Debian's HAProxy in front, the connector emulator in this process. Many
users post `/status N` turns at once (each user one after another, as a chat goes), after a
warm-up; throughput is turns per second from the first POST to the last answer at the
connector. The ratio two/one is the scale-out figure.

Where the limit is: the CPU seconds each party used during the measurement, divided by its
wall time, i.e. how many of the machine's cores it kept busy: the bot processes and HAProxy
(from /proc/PID/stat), PostgreSQL's backends serving the run's database (found by their
process title), and this process (load generator and connector emulator; getrusage). What
the whole machine used beyond these (/proc/stat) is "others": other work on a shared
machine, and PostgreSQL's own background processes.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass

import aiohttp

from tests.bench.cpu import CpuMeter
from tests.bench.table import Row, skipped
from tests.bench.teams_rig import postgres_database
from tests.chaos.teams_chaos import Turns
from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.haproxy import haproxy_binary
from tests.teams.scale_rig import balanced

TITLE = "Teams scale-out"


@dataclass
class Measured:
    """One setup: turns per second and cores kept busy by each party."""

    instances: int
    turns_per_second: float
    cores: dict[str, float]

    def ours(self) -> float:
        """Cores kept busy by the rig (everything but "others")."""
        return sum(cores for name, cores in self.cores.items() if name != "others")

    def cpu_ms(self) -> dict[str, float]:
        """CPU milliseconds per turn of each party of the rig: independent of how busy the
        machine was, so they say where the limit of idle cores would be."""
        return {
            name: 1000 * cores / self.turns_per_second
            for name, cores in self.cores.items()
            if name != "others"
        }

    def busy(self) -> str:
        return ", ".join(f"{name} {cores:.2f}" for name, cores in self.cores.items())


async def _measure(binary: str, instances: int, turns: int, users: int) -> Measured | str:
    """Throughput and CPU of `instances` processes behind HAProxy; or why not measured."""
    async with postgres_database() as (url, why):
        if url is None:
            return why
        database = url.rsplit("/", 1)[1].split("?")[0]
        async with (
            balanced(url, instances, binary) as (connector, bots, balancer),
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
        ):
            warm = Numbered(connector, balancer.endpoint, users * 2, users, 0)
            await warm.post_all(http)
            await warm.wait_answered(within=60)
            plan = Numbered(connector, balancer.endpoint, turns, users, users * 2)
            pids = {"bots": [bot.process.pid for bot in bots if bot.process is not None]}
            pids["HAProxy"] = [balancer.process.pid] if balancer.process is not None else []
            meter = CpuMeter(pids, database)
            meter.start()
            started = time.monotonic()
            await plan.post_all(http)
            await plan.wait_answered(within=120)
            finished = max(r.received_at for r in connector.requests if r.status == 201)
            used = meter.used()
            if len(plan.answers()) < plan.count:
                return f"only {len(plan.answers())} of {plan.count} turns answered"
    wall = finished - started
    cores = {name: seconds / wall for name, seconds in used.items()}
    return Measured(instances, turns / wall, cores)


class Numbered(Turns):
    """Turns numbered from `first` (the measurement's after the warm-up's): own activity ids."""

    def __init__(
        self, connector: ConnectorEmulator, endpoint: str, count: int, users: int, first: int
    ) -> None:
        super().__init__(connector, endpoint, count + first, users)
        self.first = first

    async def post_all(self, http: aiohttp.ClientSession) -> None:
        async def user(index: int) -> None:
            for number in range(self.first + index, self.count, self.users):
                await self._post(http, self.activity(number))

        await asyncio.gather(*(user(index) for index in range(self.users)))


async def run(quick: bool) -> list[Row]:
    """One process, then two, behind HAProxy; the throughput ratio and the CPU split."""
    binary = haproxy_binary()
    if binary is None:
        return [skipped(TITLE, "no haproxy binary (apt-get install haproxy)")]
    turns, users = (100, 20) if quick else (800, 40)
    got: dict[int, Measured] = {}
    for instances in (1, 2):
        result = await _measure(binary, instances, turns, users)
        if isinstance(result, str):
            print(f"   {TITLE} skipped: {result}", file=sys.stderr)
            return [skipped(TITLE, result)]
        got[instances] = result
        print(
            f"   {instances} instance(s): {result.turns_per_second:.1f} turns/s; cores busy: "
            f"{result.busy()}",
            file=sys.stderr,
        )
    one, two = got[1], got[2]
    per_turn = two.cpu_ms()
    total_ms, bot_ms = sum(per_turn.values()), per_turn["bots"]
    # A bot process runs on one core; every party shares the machine's two.
    ceiling_one = min(1000 / one.cpu_ms()["bots"], 2000 / sum(one.cpu_ms().values()))
    ceiling_two = min(2000 / bot_ms, 2000 / total_ms)
    split = ", ".join(f"{name} {ms:.1f}" for name, ms in per_turn.items())
    load = f"{users} users at once, {turns} /status turns, PostgreSQL"
    return [
        Row(
            f"{TITLE}, 2 processes vs 1 behind HAProxy",
            two.turns_per_second,
            one.turns_per_second,
            "turns/s",
            f"{load}; target: > 1x on 2 cores",
        ),
        Row(
            f"{TITLE}, cores used by the rig, 2 vs 1",
            two.ours(),
            one.ours(),
            "cores",
            f"2: {two.busy()}; 1: {one.busy()}",
        ),
        Row(
            f"{TITLE}, CPU per turn, 2 vs 1",
            total_ms,
            sum(one.cpu_ms().values()),
            "ms",
            f"2: {split}; ceiling on 2 idle cores: 1 process {ceiling_one:.0f} turns/s "
            f"(its one core), 2 processes {ceiling_two:.0f} turns/s",
        ),
    ]
