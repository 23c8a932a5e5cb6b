"""Fixtures for the Teams side: Microsoft's offline emulator, a local Bot Connector, a local
OpenID issuer and a reference echo bot (all function-scoped; each starts in well under 1 s
except the playground, about 0.9 s).

- ``playground_dir``: the installed @microsoft/m365agentsplayground package directory
  ($HOTLINE_PLAYGROUND_DIR, else <repo>/.node-tools/node_modules/@microsoft/
  m365agentsplayground); skips with "... (run tests/install-node-tools)" when missing, fails
  instead with HOTLINE_REQUIRE_PLAYGROUND=1.
- ``playground``: factory ``await playground(bot_endpoint, **Playground kwargs)`` -> a started
  Playground with its stream listener; every one is stopped after the test.
- ``echo_bot``: a started EchoBotServer (anonymous CloudAdapter on 127.0.0.1).
- ``connector``: a started ConnectorEmulator (own thread), stopped after the test.
- ``openid_issuer``: a started OpenIdIssuer (own thread), stopped after the test.
- ``secured_bot``: a started HotlineBot with an app id (tokens checked against
  ``openid_issuer``, key fetch timeout AUTH_FETCH_TIMEOUT), no sender loop.
- ``offline_bot``: a started anonymous HotlineBot against ``connector``, no sender loop: the
  test drives delivery (``await bot.app.sender.deliver_due()``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import pytest

from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.echo_bot import EchoBotServer
from tests.teams.openid_issuer import OpenIdIssuer
from tests.teams.playground import (
    Playground,
    find_playground_dir,
    free_port,
    playground_missing_reason,
)

if TYPE_CHECKING:
    from tests.teams.bot_fixture import HotlineBot
    from tests.teams.stage import Stage

REQUIRE_ENV = "HOTLINE_REQUIRE_PLAYGROUND"


class PlaygroundFactory(Protocol):
    async def __call__(self, bot_endpoint: str, **kwargs: Any) -> Playground:
        """Start a Playground posting to `bot_endpoint` (Playground keyword arguments)."""


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def playground_dir() -> Path:
    directory = find_playground_dir()
    missing = playground_missing_reason(directory)
    if missing:
        _unavailable(missing)
    return directory


@pytest.fixture
async def playground(playground_dir: Path, tmp_path: Path) -> AsyncIterator[PlaygroundFactory]:
    started: list[Playground] = []

    async def make(bot_endpoint: str, **kwargs: Any) -> Playground:
        kwargs.setdefault("directory", playground_dir)
        kwargs.setdefault("workdir", tmp_path / f"playground-{len(started)}")
        instance = Playground(bot_endpoint, **kwargs)
        started.append(instance)
        await instance.start()  # installed but failing is a failure, not a skip
        return instance

    yield make
    for instance in started:
        await instance.stop()


@pytest.fixture
async def echo_bot() -> AsyncIterator[EchoBotServer]:
    server = EchoBotServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def connector() -> Iterator[ConnectorEmulator]:
    emulator = ConnectorEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def openid_issuer() -> Iterator[OpenIdIssuer]:
    issuer = OpenIdIssuer()
    issuer.start()
    yield issuer
    issuer.stop()


@pytest.fixture
async def stage(playground: PlaygroundFactory, tmp_path: Path) -> AsyncIterator[Stage]:
    """The bot and the playground, for one test (tests/teams/stage.py)."""
    from tests.teams.stage import open_stage  # imports the bot: only when used

    opened, close = await open_stage(playground, tmp_path / "bot")
    yield opened
    await close()


@pytest.fixture
async def secured_bot(
    openid_issuer: OpenIdIssuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[HotlineBot]:
    """The bot with an app id: inbound tokens are checked against the local issuer."""
    from adapters.teams import auth
    from bot.kernel.clock import FrozenClock
    from tests.teams.bot_fixture import AUTH_FETCH_TIMEOUT, HotlineBot, secured_config
    from tests.teams.stage import MONDAY_9

    monkeypatch.setattr(auth, "FETCH_TIMEOUT_SECONDS", AUTH_FETCH_TIMEOUT)
    config = secured_config(openid_issuer, monkeypatch)
    bot = HotlineBot(config, tmp_path / "bot", FrozenClock(MONDAY_9), sender_loop=False)
    await bot.start()
    assert not bot.adapter.settings.anonymous
    yield bot
    await bot.stop()


@pytest.fixture
async def offline_bot(connector: ConnectorEmulator, tmp_path: Path) -> AsyncIterator[HotlineBot]:
    """The bot against the connector emulator; no sender loop: the test drives delivery."""
    from bot.kernel.clock import FrozenClock
    from tests.teams.bot_fixture import HotlineBot
    from tests.teams.stage import MONDAY_9, hotline_config

    config = hotline_config(free_port(), connector.service_url)
    bot = HotlineBot(config, tmp_path / "bot", FrozenClock(MONDAY_9), sender_loop=False)
    await bot.start()
    yield bot
    await bot.stop()
