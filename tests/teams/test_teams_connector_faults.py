"""The Teams adapter's outbound side against the local Bot Connector: one reused connection
pool (no CLOSE_WAIT after 2,000 deliveries), retries of 412, 429, 502 and 504 that post once,
a 2xx with an unreadable body counted as delivered, and a refused outbound token refreshed.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from adapters.teams.adapter import TeamsAdapter
from adapters.teams.connector import ConnectorClient, ConnectorError
from adapters.teams.settings import TeamsSettings
from bot.delivery import DeliveryError
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice, Target
from tests.teams.bot_fixture import HotlineBot, activity_json, aware, outbox_row
from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.connector_faults import TCP_CLOSE_WAIT, TCP_ESTABLISHED, sockets_to
from tests.teams.openid_issuer import OpenIdIssuer
from tests.teams.playground import free_port
from tests.teams.stage import MONDAY_9, TEAM, aad, hotline_config

DELIVERIES = 2_000
IN_FLIGHT = 20
KEEPALIVE = 2.0  # the emulator closes idle connections after this (Teams does after minutes);
# long enough that a send on a loaded machine never meets a connection being closed

Send = Callable[[int], Awaitable[str]]


async def _deliver(send: Send, count: int, in_flight: int) -> None:
    """`count` sends, `in_flight` at a time (1: one after another)."""
    numbers = iter(range(count))

    async def worker() -> None:
        for number in numbers:
            assert await send(number)

    await asyncio.gather(*(worker() for _ in range(in_flight)))


@pytest.fixture
def idle_closing_connector() -> Iterator[ConnectorEmulator]:
    emulator = ConnectorEmulator(strict_updates=False, keepalive_timeout=KEEPALIVE)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
async def adapter_connector() -> AsyncIterator[tuple[TeamsAdapter, ConnectorClient]]:
    """The adapter's own outbound client (its pool as `open` sets it up), anonymous mode."""
    adapter = TeamsAdapter(TeamsSettings(), None, FrozenClock(MONDAY_9))  # type: ignore[arg-type]

    async def ignore(_inbound: object) -> None:
        return None

    await adapter.open(ignore)
    assert adapter.connector is not None
    yield adapter, adapter.connector
    await adapter.stop()


# --- 1. connection reuse ----------------------------------------------------------------------


async def test_2000_deliveries_reuse_connections_and_leave_no_close_wait(
    adapter_connector: tuple[TeamsAdapter, ConnectorClient],
    idle_closing_connector: ConnectorEmulator,
) -> None:
    connector = idle_closing_connector
    _, client = adapter_connector
    url = connector.service_url

    async def send(number: int) -> str:
        return await client.send(url, "a:pool", {"type": "message", "text": f"n{number}"})

    started = time.perf_counter()
    await _deliver(send, DELIVERIES // 2, 1)
    sequential = connector.connections_opened
    await _deliver(send, DELIVERIES // 2, IN_FLIGHT)
    elapsed = time.perf_counter() - started

    assert len(connector.sent("a:pool")) == DELIVERIES
    # One after another: one keep-alive connection throughout. A second one is allowed: on a
    # loaded machine a send may pause for the emulator's keep-alive (2 s) and find the idle
    # connection closed. A client without a pool opens one per call (1,000 here).
    assert sequential <= 2, sequential
    assert connector.connections_opened <= 1 + IN_FLIGHT  # the pool, not one per call
    assert sockets_to(connector.port, TCP_ESTABLISHED) <= 1 + IN_FLIGHT
    # The emulator now closes the idle connections: the client must close its ends too.
    await asyncio.sleep(KEEPALIVE * 3)
    assert sockets_to(connector.port, TCP_CLOSE_WAIT) == 0
    print(
        f"{DELIVERIES} deliveries in {elapsed:.2f} s; connections opened: "
        f"{sequential} sequential, {connector.connections_opened} in all"
    )


async def test_the_checks_catch_a_client_without_a_pool(
    idle_closing_connector: ConnectorEmulator,
) -> None:
    """The two checks above can fail: a session per call opens a connection per call, and
    sockets nobody closes sit in CLOSE_WAIT once the server hangs up."""
    connector = idle_closing_connector
    url = f"{connector.service_url}/v3/conversations/a:x/activities"

    async def session_per_call(number: int) -> str:
        async with aiohttp.ClientSession() as session, session.post(url, json={}) as answer:
            return str((await answer.json())["id"])

    await _deliver(session_per_call, 50, 1)
    assert connector.connections_opened == 50  # would fail "<= 1 + IN_FLIGHT" above

    leaked = []  # a blocking pool that never notices the server closing (requests' way)
    for _ in range(5):
        sock = socket.create_connection(("127.0.0.1", connector.port), timeout=5)
        sock.sendall(b"GET /v3/conversations/a:x/members HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        leaked.append(sock)
    await asyncio.sleep(KEEPALIVE * 3)
    assert sockets_to(connector.port, TCP_CLOSE_WAIT) == 5
    for sock in leaked:
        sock.close()
    assert sockets_to(connector.port, TCP_CLOSE_WAIT) == 0


TURN_USERS, TURNS_EACH = 10, 20


async def test_200_turns_through_the_bot_reuse_connections_and_leave_no_close_wait(
    tmp_path: Path,
) -> None:
    """The whole path: activities in at /api/messages, answers out through the outbox sender
    (ten requesters at once, each answered in order) and the adapter's pool. The emulator
    keeps idle connections 2 s here: a requester's answers come a few tenths apart."""
    connector = ConnectorEmulator(keepalive_timeout=2.0)
    connector.start()
    config = hotline_config(free_port(), connector.service_url)
    bot = HotlineBot(config, tmp_path / "bot", FrozenClock(MONDAY_9))
    await bot.start()
    try:
        async with aiohttp.ClientSession() as http:

            async def requester(n: int) -> None:
                for turn in range(TURNS_EACH):
                    body = activity_json(
                        id=f"turn-{n}-{turn}",
                        serviceUrl=connector.service_url,
                        conversation={"id": f"a:turns-{n}", "conversationType": "personal"},
                        **{"from": {"id": f"29:u{n}", "name": f"U {n}", "aadObjectId": f"aad-{n}"}},
                    )
                    async with http.post(bot.endpoint, json=body) as answer:
                        assert answer.status == 201

            started = time.perf_counter()
            await asyncio.gather(*(requester(n) for n in range(TURN_USERS)))
            await bot.wait_outbox_idle(timeout=60)
            elapsed = time.perf_counter() - started
        turns = TURN_USERS * TURNS_EACH
        assert len(connector.sent()) == turns  # one answer per turn
        assert connector.connections_opened <= TURN_USERS + 1, connector.connections_opened
        await asyncio.sleep(3.0)  # the emulator closes the idle connections
        assert sockets_to(connector.port, TCP_CLOSE_WAIT) == 0
    finally:
        await bot.stop()
        connector.stop()
    print(f"{turns} turns in {elapsed:.2f} s; connections opened: {connector.connections_opened}")


# --- 2. retries through the outbox ------------------------------------------------------------


@pytest.mark.parametrize("status", [412, 429, 502, 504])
async def test_retryable_status_is_retried_with_backoff_and_posted_once(
    offline_bot: HotlineBot, connector: ConnectorEmulator, status: int
) -> None:
    bot, clock = offline_bot, offline_bot.clock
    assert isinstance(clock, FrozenClock)
    text = f"Ticket 7 wartet seit {status} Sekunden"
    connector.fail_next(2, status, match=lambda r: r.kind == "send")
    await bot.enqueue(Target("teams", "channel", TEAM), Notice(text=text))

    for attempt in (1, 2):
        assert await bot.app.sender.deliver_due() == 0
        row = await outbox_row(bot, text)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert str(status) in (row.last_error or "")
        wait = (aware(row.next_attempt_at) - clock.now()).total_seconds()
        ceiling = 2.0 * 2 ** (attempt - 1)  # exponential: 1-2 s, then 2-4 s (jitter inside)
        assert ceiling / 2 <= wait <= ceiling, wait
        clock.set(aware(row.next_attempt_at))
    assert await bot.app.sender.deliver_due() == 1

    assert (await outbox_row(bot, text)).status == "delivered"
    assert [(r.kind, r.status) for r in connector.requests] == [
        ("send", status),
        ("send", status),
        ("send", 201),
    ]
    assert [a.text for a in connector.sent(TEAM)] == [text]
    clock.advance(timedelta(hours=2))
    assert await bot.app.sender.deliver_due() == 0
    assert len(connector.requests) == 3


# --- 3. an accepted post with an unreadable answer --------------------------------------------


async def test_a_2xx_that_is_not_json_counts_as_delivered_and_is_not_posted_again(
    offline_bot: HotlineBot, connector: ConnectorEmulator
) -> None:
    bot, clock = offline_bot, offline_bot.clock
    assert isinstance(clock, FrozenClock)
    connector.garble_next(1, match=lambda r: r.kind == "send")
    await bot.enqueue(Target("teams", "channel", TEAM), Notice(text="Ticket 8 ist gelöst"))
    assert await bot.app.sender.deliver_due() == 1
    row = await outbox_row(bot, "Ticket 8 ist gelöst")
    assert (row.status, row.attempts, row.message_ref or "") == ("delivered", 0, "")
    clock.advance(timedelta(hours=2))
    assert await bot.app.sender.deliver_due() == 0
    assert [a.text for a in connector.sent(TEAM)] == ["Ticket 8 ist gelöst"]
    assert [r.status for r in connector.requests] == [201]


async def test_a_create_answer_without_an_id_is_retried_and_posts_once(
    offline_bot: HotlineBot, connector: ConnectorEmulator
) -> None:
    bot, clock = offline_bot, offline_bot.clock
    assert isinstance(clock, FrozenClock)
    connector.garble_next(1, match=lambda r: r.kind == "create")
    text = "Ticket 9 eskaliert"
    await bot.enqueue(Target("teams", "user", aad("leitung.hoffmann")), Notice(text=text))
    assert await bot.app.sender.deliver_due() == 0  # no conversation id: nothing was posted
    row = await outbox_row(bot, text)
    assert row.status == "pending" and "conversation id" in (row.last_error or "")
    clock.set(aware(row.next_attempt_at))
    assert await bot.app.sender.deliver_due() == 1
    assert [r.kind for r in connector.requests] == ["create", "create", "send"]
    assert [a.text for a in connector.sent() if a.kind == "send"] == [text]


# --- 4. a stale outbound token ----------------------------------------------------------------


class Tokens:
    """An outbound token source whose cached token the connector refuses until refreshed."""

    def __init__(self, issuer: OpenIdIssuer, *, refresh_helps: bool = True) -> None:
        self.issuer = issuer
        self.refresh_helps = refresh_helps
        self.current = issuer.connector_token(lifetime=-7200)  # expired two hours ago
        self.refreshes = 0

    async def get(self) -> str | None:
        return self.current

    async def refresh(self) -> str | None:
        self.refreshes += 1
        if self.refresh_helps:
            self.current = self.issuer.connector_token()
        return self.current


@pytest.mark.parametrize("refresh_helps", [True, False])
async def test_a_refused_outbound_token_is_refreshed_once(
    openid_issuer: OpenIdIssuer, refresh_helps: bool
) -> None:
    validator = openid_issuer.connector_validator()
    tokens = Tokens(openid_issuer, refresh_helps=refresh_helps)
    with ConnectorEmulator(token_validator=validator) as connector:
        async with aiohttp.ClientSession() as session:
            client = ConnectorClient(session, tokens.get, refresh=tokens.refresh)
            url = connector.service_url
            if refresh_helps:
                assert await client.send(url, "a:conv", {"type": "message", "text": "hi"})
            else:
                with pytest.raises(DeliveryError) as raised:
                    await client.send(url, "a:conv", {"type": "message", "text": "hi"})
                assert not raised.value.permanent  # the outbox tries again later
        statuses = [r.status for r in connector.requests]
        assert tokens.refreshes == 1
        assert statuses == ([401, 201] if refresh_helps else [401, 401])
        assert len(connector.sent()) == int(refresh_helps)
        assert "Expired" in validator.rejections[0]


async def test_a_401_in_anonymous_mode_is_permanent(connector: ConnectorEmulator) -> None:
    async def no_token() -> str | None:
        return None

    connector.fail_next(1, 401)
    async with aiohttp.ClientSession() as session:
        client = ConnectorClient(session, no_token)
        with pytest.raises(DeliveryError) as raised:
            await client.send(connector.service_url, "a:conv", {"type": "message"})
    assert raised.value.permanent and len(connector.requests) == 1


# --- 5. the known window: the post was accepted, the answer got lost --------------------------


async def test_an_answer_lost_after_the_post_was_accepted_is_a_retryable_error(
    connector: ConnectorEmulator,
) -> None:
    """Documents the window (connector.py's docstring): the connector has the activity, the
    client saw a timeout, so the outbox will post it again. Nothing on our side can tell."""

    async def no_token() -> str | None:
        return None

    connector.delay_next(1, 1.0, after_accept=True)
    timeout = aiohttp.ClientTimeout(total=0.2)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = ConnectorClient(session, no_token)
        with pytest.raises(DeliveryError) as raised:
            await client.send(connector.service_url, "a:conv", {"type": "message", "text": "x"})
    assert not raised.value.permanent
    assert [a.text for a in connector.sent()] == ["x"]  # ... although it was posted


# --- 6. the status of a refusal ---------------------------------------------------------------


@pytest.mark.parametrize(("status", "permanent"), [(404, True), (403, True), (502, False)])
async def test_a_refusal_names_its_http_status(
    connector: ConnectorEmulator, status: int, permanent: bool
) -> None:
    """The adapter tells a card Teams no longer has (404 on update) by `status`, not by the
    message's wording."""

    async def no_token() -> str | None:
        return None

    connector.fail_next(1, status)
    async with aiohttp.ClientSession() as session:
        client = ConnectorClient(session, no_token)
        with pytest.raises(ConnectorError) as raised:
            await client.update(connector.service_url, "a:conv", "1:1", {"type": "message"})
    assert isinstance(raised.value, DeliveryError)  # the outbox's contract
    assert (raised.value.status, raised.value.permanent) == (status, permanent)


async def test_an_unreachable_connector_has_no_status(connector: ConnectorEmulator) -> None:
    async def no_token() -> str | None:
        return None

    connector.go_away()
    async with aiohttp.ClientSession() as session:
        client = ConnectorClient(session, no_token)
        with pytest.raises(DeliveryError) as raised:
            await client.send(connector.service_url, "a:conv", {"type": "message"})
    assert not isinstance(raised.value, ConnectorError)
    assert not raised.value.permanent
