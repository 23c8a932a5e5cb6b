"""Driving a Teams bot like the Bot Connector does, and timing its answers.

``WatchedConnector`` is the tests' connector emulator that also reports every accepted send
or reply to the benchmark's event loop the moment it arrives (the emulator runs on its own
thread). ``TeamsDriver`` posts personal-chat message activities to a bot's /api/messages
and waits for the answer in that conversation. ``postgres_database`` makes a throw-away
PostgreSQL database for the hotline to run on.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from tests.teams.bot_fixture import activity_json
from tests.teams.connector_emulator import ConnectorEmulator


class WatchedConnector(ConnectorEmulator):
    """A ConnectorEmulator that hands each accepted send/reply to `Watcher`s on another loop."""

    def __init__(self) -> None:
        super().__init__(strict_updates=False)
        self.watcher: Watcher | None = None

    async def _send(self, request: web.Request) -> web.StreamResponse:
        response = await super()._send(request)
        watcher = self.watcher
        if watcher is not None and response.status == 201:
            with self._lock:
                body = self.activities[-1].body if self.activities else {}
            watcher.notify_threadsafe(request.match_info["cid"], body)
        return response


class Watcher:
    """Per conversation: the answers arrived so far (text form) and who waits for them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.arrived: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self._waiters: dict[str, asyncio.Event] = defaultdict(asyncio.Event)

    def notify_threadsafe(self, conversation_id: str, body: dict[str, Any]) -> None:
        """Called on the connector's thread: record the time now, wake the waiter."""
        at = time.perf_counter()
        text = json.dumps(body, ensure_ascii=False)
        self.loop.call_soon_threadsafe(self._arrive, conversation_id, at, text)

    def _arrive(self, conversation_id: str, at: float, text: str) -> None:
        self.arrived[conversation_id].append((at, text))
        self._waiters[conversation_id].set()

    async def answer(self, conversation_id: str, after: int, contains: str) -> tuple[int, float]:
        """Wait for an answer at index >= `after` containing `contains`; return the index
        after it and its arrival time."""
        while True:
            arrived = self.arrived[conversation_id]
            for index in range(after, len(arrived)):
                if contains in arrived[index][1]:
                    return index + 1, arrived[index][0]
            event = self._waiters[conversation_id]
            event.clear()
            await event.wait()


class TeamsDriver:
    """One requester in a personal chat with a bot: posts messages, times the answers."""

    _ids = itertools.count(1)

    def __init__(
        self, http: aiohttp.ClientSession, endpoint: str, service_url: str, watcher: Watcher, n: int
    ) -> None:
        self.http = http
        self.endpoint = endpoint
        self.service_url = service_url
        self.watcher = watcher
        self.conversation = f"a:bench-{n}-{next(self._ids)}"
        self.user = {"id": f"29:bench-{n}", "name": f"Bench User {n}", "aadObjectId": f"aad-{n}"}
        self._seen = 0
        self.arrived = 0.0  # the last turn: seconds from the POST until the answer arrived

    async def turn(self, text: str, expect: str, timeout: float = 30.0) -> float:  # noqa: ASYNC109
        """Post `text`; return the seconds until the answer containing `expect` has arrived at
        the connector and the bot has answered the POST (whichever is later). `arrived` is
        then the end-to-end latency: from the POST until the answer arrived (as users feel
        it: the echo bot answers inside the turn, the hotline through its outbox)."""
        activity = activity_json(
            id=f"bench-{next(self._ids)}",
            serviceUrl=self.service_url,
            text=text,
            conversation={"id": self.conversation, "conversationType": "personal", "tenantId": "t"},
            **{"from": self.user},
        )
        started = time.perf_counter()
        async with asyncio.timeout(timeout):
            async with self.http.post(self.endpoint, json=activity) as response:
                await response.read()
                if response.status >= 300:
                    raise RuntimeError(f"{self.endpoint} answered {response.status}")
            posted = time.perf_counter()
            self._seen, answered = await self.watcher.answer(self.conversation, self._seen, expect)
        self.arrived = answered - started
        return max(posted, answered) - started


PG_URL_ENV = "HOTLINE_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[tuple[str | None, str]]:
    """A fresh, empty PostgreSQL database for one run: (its URL, ""), dropped afterwards; or
    (None, why) when the server ($HOTLINE_TEST_PG_URL) does not answer."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    base = make_url(os.environ.get(PG_URL_ENV, DEFAULT_PG_URL))
    name = f"hotline_bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await asyncio.wait_for(connection.execute(text(f'CREATE DATABASE "{name}"')), 10)
    except Exception as error:
        await admin.dispose()
        shown = base.render_as_string(hide_password=True)
        yield None, f"PostgreSQL not reachable at {shown} (set {PG_URL_ENV}): {error!r}"[:200]
        return
    try:
        yield base.set(database=name).render_as_string(hide_password=False), ""
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
