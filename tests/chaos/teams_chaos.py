"""Teams turns against a bot process that is killed (-9) or whose database is stopped.

Every turn is a personal-chat message `/status N` with its own N and activity id; its answer
("Nr. N kann ich Ihnen nicht zeigen …") names N, so the answers arriving at the local Bot
Connector emulator say exactly which turns were lost (no answer) and which doubled (two).
Users post their turns one after another, several users at once. A POST that fails (the
process is dead, or it answers 5xx) is posted again with the same activity id, as the Bot
Connector does when a bot does not answer. Killing happens between any two requests, at
moments drawn from a seeded random generator, also while a turn is inside the bot.

Two kinds of double are told apart. A turn handled twice (two answers written to the outbox
for one message) is a defect. One answer posted twice is the price of never losing one:
a process killed after the connector took a post but before it recorded that has to post
it again, since the Bot Connector offers no idempotent send. Both are counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.child_process import die_with_parent, resolve_prctl
from tests.teams.bot_fixture import activity_json
from tests.teams.connector_emulator import ConnectorEmulator

FIRST = 500_000  # ticket numbers asked about: none exists, every answer is the refusal
ANSWER = "kann ich Ihnen nicht zeigen"
NUMBER = re.compile(r"Nr\\?\. (\d+)")  # Teams text escapes the dot: "Nr\. 500001"
READY_SECONDS = 60.0


@dataclass
class Figures:
    """What a run measured."""

    store: str
    turns: int
    kills: int = 0
    outage_seconds: float = 0.0
    posts_retried: int = 0
    lost: list[int] = field(default_factory=list)  # turns never answered
    doubled: list[int] = field(default_factory=list)  # turns handled twice (two answers made)
    resent: list[int] = field(default_factory=list)  # one answer posted twice (see `line`)
    seconds: float = 0.0
    drained_after: float = 0.0  # seconds from the database's return to the last answer

    def line(self) -> str:
        chaos = (
            f"{self.kills} kill -9" if self.kills else f"database away {self.outage_seconds:.0f} s"
        )
        return (
            f"{self.store}: {self.turns} turns, {chaos}: lost {len(self.lost)}, handled twice "
            f"{len(self.doubled)}, answers posted twice {len(self.resent)}, "
            f"{self.posts_retried} posts retried, {self.seconds:.1f} s"
            + (
                f", last answer {self.drained_after:.1f} s after the return"
                if self.outage_seconds
                else ""
            )
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    """tests/chaos/teams_child.py on a fixed port: start, kill -9, start again.

    With `own_session`, the process gets a session of its own, as a service of its own would:
    Linux's autogroup scheduler shares CPU between sessions first, so processes left in the
    test's session would split one session's share between them."""

    own_session = False

    def __init__(self, service_url: str, database_url: str, data_dir: Path) -> None:
        self.port = _free_port()
        self.args = [str(self.port), service_url, database_url, str(data_dir)]
        self.process: asyncio.subprocess.Process | None = None
        self.log = data_dir / "child.log"
        data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    async def start(self) -> None:
        prctl = resolve_prctl()
        preexec = die_with_parent(prctl, os.getpid()) if prctl is not None else None
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.chaos.teams_child",
                *self.args,
                stdout=log,
                stderr=log,
                preexec_fn=preexec,
                start_new_session=self.own_session,
            )
        deadline = time.monotonic() + READY_SECONDS
        while not await self._accepting():
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not start: {self.log.read_text()[-2000:]}")
            await asyncio.sleep(0.05)

    async def _accepting(self) -> bool:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        writer.close()
        return True

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                await self.kill()


class Turns:
    """The turns of a run, posted by `users` users, and what came back."""

    def __init__(self, connector: ConnectorEmulator, endpoint: str, count: int, users: int) -> None:
        self.connector = connector
        self.endpoint = endpoint
        self.count = count
        self.users = users
        self.accepted = 0  # turns whose POST succeeded
        self.retried = 0
        self.returned_at: float | None = None  # time.monotonic() the database came back
        self._moved = asyncio.Event()

    async def until_accepted(self, count: int) -> None:
        """Wait until `count` turns have been accepted by the bot."""
        while self.accepted < count:
            self._moved.clear()
            await self._moved.wait()

    def activity(self, number: int) -> dict[str, Any]:
        user = number % self.users
        return activity_json(
            id=f"chaos-{number}",
            serviceUrl=self.connector.service_url,
            text=f"/status {FIRST + number}",
            conversation={"id": f"a:chaos-{user}", "conversationType": "personal", "tenantId": "t"},
            **{
                "from": {
                    "id": f"29:chaos-{user}",
                    "name": f"Chaos {user}",
                    "aadObjectId": f"c{user}",
                }
            },
        )

    async def post_all(self, http: aiohttp.ClientSession) -> None:
        async def user(index: int) -> None:
            for number in range(index, self.count, self.users):
                await self._post(http, self.activity(number))

        await asyncio.gather(*(user(index) for index in range(self.users)))

    async def _post(self, http: aiohttp.ClientSession, activity: dict[str, Any]) -> None:
        while True:
            try:
                async with http.post(self.endpoint, json=activity) as response:
                    await response.read()
                    if response.status < 300:
                        self.accepted += 1
                        self._moved.set()
                        return
            except (aiohttp.ClientError, OSError, TimeoutError):
                pass
            self.retried += 1
            await asyncio.sleep(0.1)

    def answers(self) -> Counter[int]:
        """How often each turn was answered so far."""
        counts: Counter[int] = Counter()
        for activity in self.connector.sent():
            found = NUMBER.match(activity.text or "")
            if found and ANSWER in (activity.text or ""):
                counts[int(found.group(1)) - FIRST] += 1
        return counts

    async def wait_answered(self, within: float) -> None:
        for _ in range(int(within * 10)):
            if len(self.answers()) >= self.count:
                return
            await asyncio.sleep(0.1)


Chaos = Callable[[Turns, BotProcess], Awaitable[None]]


@contextlib.asynccontextmanager
async def rig(database_url: str) -> AsyncIterator[tuple[ConnectorEmulator, BotProcess]]:
    """A migrated database, the connector emulator and a started bot process."""
    from storage.engine import make_engine
    from storage.migrate import upgrade

    engine = make_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    with ConnectorEmulator(strict_updates=False) as connector, tempfile.TemporaryDirectory() as tmp:
        bot = BotProcess(connector.service_url, database_url, Path(tmp))
        await bot.start()
        try:
            yield connector, bot
        finally:
            await bot.stop()
            kept = Path(tempfile.gettempdir()) / "hotline-chaos-child.log"
            kept.write_bytes(bot.log.read_bytes())  # for a look after a failed run


async def run(
    database_url: str, store: str, turns: int, chaos: Chaos, *, users: int = 5, settle: float = 2.0
) -> Figures:
    """Post `turns` turns while `chaos` runs; count what was lost and doubled."""
    figures = Figures(store=store, turns=turns)
    started = time.monotonic()
    async with (
        rig(database_url) as (connector, bot),
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http,
    ):
        plan = Turns(connector, bot.endpoint, turns, users)
        await asyncio.gather(plan.post_all(http), chaos(plan, bot))
        await plan.wait_answered(within=120)
        await asyncio.sleep(settle)  # a doubled answer would come right behind the first
        answers = plan.answers()
        made = await _answers_made(database_url)
        if plan.returned_at is not None:
            sends = [r.received_at for r in connector.requests if r.status == 201]
            figures.drained_after = max(sends, default=plan.returned_at) - plan.returned_at
    figures.lost = [n for n in range(turns) if answers[n] == 0]
    figures.doubled = [n for n in range(turns) if made[n] > 1]
    figures.resent = [n for n in range(turns) if answers[n] > max(made[n], 1)]
    figures.posts_retried = plan.retried
    figures.seconds = time.monotonic() - started
    return figures


async def _answers_made(database_url: str) -> Counter[int]:
    """How many outbox rows (answers written by a turn) each turn has: 2 = handled twice."""
    from sqlalchemy import select

    from storage.engine import make_engine, make_sessionmaker
    from storage.models import OutboxRow

    engine = make_engine(database_url)
    counts: Counter[int] = Counter()
    async with make_sessionmaker(engine)() as session:
        for payload in (await session.scalars(select(OutboxRow.payload))).all():
            found = re.match(r"Nr\. (\d+)", str(payload.get("text") or ""))
            if found and ANSWER in str(payload.get("text")):
                counts[int(found.group(1)) - FIRST] += 1
    await engine.dispose()
    return counts


def killing(kills: int, seed: int) -> Chaos:
    """Kill the bot -9 `kills` times at random moments spread over the run; restart it."""

    async def chaos(plan: Turns, bot: BotProcess) -> None:
        chooser = random.Random(seed)
        points = sorted(chooser.randrange(plan.count // 10, plan.count) for _ in range(kills))
        for point in points:
            await plan.until_accepted(point)
            await asyncio.sleep(chooser.uniform(0, 0.05))  # also in the middle of a turn
            await bot.kill()
            await bot.start()

    return chaos


def database_away(stop: Callable[[], None], start: Callable[[], None], seconds: float) -> Chaos:
    """Stop the database a third into the run for `seconds`, while turns keep coming."""

    async def chaos(plan: Turns, _bot: BotProcess) -> None:
        await plan.until_accepted(plan.count // 3)
        await asyncio.to_thread(stop)
        await asyncio.sleep(seconds)
        await asyncio.to_thread(start)
        plan.returned_at = time.monotonic()

    return chaos
