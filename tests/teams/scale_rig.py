"""Several Teams bot processes on one PostgreSQL database, behind HAProxy.

Each instance is tests/chaos/teams_child.py (a real `serve` of the hotline on Teams) with its
own Teams port and its own health/metrics port; all point at one connector emulator and one
migrated database, so conversation references, inbound dedupe and the outbox are shared
through the database and nothing else. HAProxy (tests/teams/haproxy.py) balances the
connector's POSTs round robin. `DoubledTurns` posts some activities twice at the same moment,
as the Bot Connector does when it retries: round robin hands the copies to different
instances, so only the database can keep them from being handled twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from tests.chaos.teams_chaos import BotProcess, Turns
from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.haproxy import LoadBalancer
from tests.teams.playground import free_port

TURNS_METRIC = re.compile(r'^hotline_turns_total\{[^}]*platform="teams"[^}]*\} (\S+)$', re.M)


class Instance(BotProcess):
    """One bot process, with its health and metrics on a port of its own, in a session of its
    own (as two services on one machine would be: see BotProcess)."""

    own_session = True

    def __init__(self, name: str, service_url: str, database_url: str, data_dir: Path) -> None:
        super().__init__(service_url, database_url, data_dir)
        self.name = name
        self.ops_port = free_port()
        self.args.append(str(self.ops_port))

    async def turns(self, http: aiohttp.ClientSession) -> int:
        """Inbound Teams events this process handled, from its /metrics (any outcome)."""
        async with http.get(f"http://127.0.0.1:{self.ops_port}/metrics") as response:
            text = await response.text()
        return round(sum(float(value) for value in TURNS_METRIC.findall(text)))


@contextlib.asynccontextmanager
async def balanced(
    database_url: str, count: int, binary: str
) -> AsyncIterator[tuple[ConnectorEmulator, list[Instance], LoadBalancer]]:
    """Migrate the database, start `count` instances and HAProxy in front of them."""
    from storage.engine import make_engine
    from storage.migrate import upgrade

    engine = make_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    with ConnectorEmulator(strict_updates=False) as connector, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        names = [chr(ord("a") + index) for index in range(count)]
        instances = [Instance(n, connector.service_url, database_url, work / n) for n in names]
        balancer = LoadBalancer(
            binary,
            work,
            free_port(),
            free_port(),
            {i.name: (i.port, i.ops_port) for i in instances},
        )
        async with contextlib.AsyncExitStack() as stack:
            for instance in instances:
                stack.push_async_callback(instance.stop)
            await asyncio.gather(*(instance.start() for instance in instances))
            stack.push_async_callback(balancer.stop)
            await balancer.start()
            yield connector, instances, balancer


class DoubledTurns(Turns):
    """Turns (see tests/chaos/teams_chaos.py) numbered `first` to `count` - 1, of which every
    `every`-th is posted twice at once. A second plan from where the first ended counts the
    answers to both (the numbers, hence activity ids, stay distinct)."""

    def __init__(
        self,
        connector: ConnectorEmulator,
        endpoint: str,
        count: int,
        users: int,
        every: int,
        first: int = 0,
    ) -> None:
        super().__init__(connector, endpoint, count, users)
        self.every, self.first = every, first
        self.posts = 0

    async def post_all(self, http: aiohttp.ClientSession) -> None:
        async def user(index: int) -> None:
            for number in range(self.first + index, self.count, self.users):
                activity = self.activity(number)
                copies = 2 if number % self.every == 0 else 1
                self.posts += copies
                await asyncio.gather(*(self._post(http, activity) for _ in range(copies)))

        await asyncio.gather(*(user(index) for index in range(self.users)))


async def settled(database_url: str, within: float) -> None:
    """Wait until the outbox holds no pending row: then no answer can still be on its way."""
    from sqlalchemy import func, select

    from storage.engine import make_engine, make_sessionmaker
    from storage.models import OutboxRow
    from storage.repositories.outbox import PENDING

    engine = make_engine(database_url)
    try:
        async with asyncio.timeout(within):
            while True:
                async with make_sessionmaker(engine)() as session:
                    pending = await session.scalar(
                        select(func.count()).where(OutboxRow.status == PENDING)
                    )
                if not pending:
                    return
                await asyncio.sleep(0.05)
    finally:
        await engine.dispose()
