"""Teams outbound: sends through the adapter's one connection pool vs a stock botbuilder client.

Both post the same activities to the connector emulator, one after another. The bot uses the
`ConnectorClient` that `TeamsAdapter.open` sets up (one aiohttp session, keep-alive); the
baseline builds an msrest `botframework.connector.aio.ConnectorClient` per send, as
botbuilder's connector factory does per turn (requests in threads, a new session each time).
Rows: sends per second, TCP connections the emulator accepted, and this process's sockets to
the emulator left in CLOSE_WAIT once the emulator has closed its idle connections.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.bench.table import Row

KEEPALIVE = 1.0  # the emulator closes idle connections after this many seconds


async def run(quick: bool) -> list[Row]:
    """Sends one after another: the adapter's pool vs an msrest client per send."""
    from botbuilder.schema import Activity
    from botframework.connector.aio import ConnectorClient as MsrestClient
    from botframework.connector.auth import MicrosoftAppCredentials

    from adapters.teams.adapter import TeamsAdapter
    from adapters.teams.settings import TeamsSettings
    from bot.kernel.clock import SystemClock
    from tests.teams.connector_emulator import ConnectorEmulator
    from tests.teams.connector_faults import TCP_CLOSE_WAIT, sockets_to

    count = 200 if quick else 2_000
    connector = ConnectorEmulator(strict_updates=False, keepalive_timeout=KEEPALIVE)
    connector.start()
    url = connector.service_url
    try:
        adapter = TeamsAdapter(TeamsSettings(), None, SystemClock())  # type: ignore[arg-type]

        async def ignore(_inbound: object) -> None:
            return None

        await adapter.open(ignore)
        assert adapter.connector is not None
        client = adapter.connector
        started = time.perf_counter()
        for number in range(count):
            await client.send(url, "a:bench", {"type": "message", "text": f"n{number}"})
        bot_rate = count / (time.perf_counter() - started)
        bot_connections = connector.connections_opened
        await asyncio.sleep(KEEPALIVE * 2)
        bot_close_wait = sockets_to(connector.port, TCP_CLOSE_WAIT)
        await adapter.stop()

        connector.reset()
        credentials = MicrosoftAppCredentials("", "")
        kept: list[Any] = []  # botbuilder never closes them either
        started = time.perf_counter()
        for number in range(count):
            stock = MsrestClient(credentials, base_url=url)
            kept.append(stock)
            message = Activity(type="message", text=f"n{number}")
            await stock.conversations.send_to_conversation("a:bench", message)
        base_rate = count / (time.perf_counter() - started)
        base_connections = connector.connections_opened
        await asyncio.sleep(KEEPALIVE * 2)
        base_close_wait = sockets_to(connector.port, TCP_CLOSE_WAIT)
        kept.clear()
    finally:
        connector.stop()
    name = f"Teams outbound, {count:,} sends one after another"
    return [
        Row(f"{name} (adapter pool vs msrest client per turn)", bot_rate, base_rate, "sends/s"),
        Row(f"{name}: TCP connections opened", bot_connections, base_connections, "conn."),
        Row(f"{name}: sockets left in CLOSE_WAIT", bot_close_wait, base_close_wait, "sockets"),
    ]
