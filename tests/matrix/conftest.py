"""Fixtures for tests against a real Synapse homeserver (tests/matrix/synapse.py).

- ``synapse`` (session, tests/matrix/server_fixture.py via tests/conftest.py): one running
  SynapseServer shared by the whole test session. Do not stop or pause it; tests that take
  the server down use ``private_synapse``.
- ``private_synapse`` (function): a fresh SynapseServer of the test's own (about 2 s to
  start), free to stop(), start(), restart(), pause() and resume().
- ``matrix_user`` (function): ``await matrix_user("alice", admin=False)`` registers a fresh
  user on the session server and returns a RegisteredUser (unique localpart each call).
- ``matrix_client`` (function): ``await matrix_client(user)`` returns a logged-in nio
  AsyncClient with E2E enabled and device keys uploaded; closed after the test.
- ``worlds`` (function): ``await worlds(server, **options)`` starts the real bot with its
  team rooms (tests/matrix/bot_fixture.py make_world); stopped after the test.

Without Synapse (tests/install-synapse not run or failed) every test that uses these
fixtures is skipped with the reason; with HOTLINE_REQUIRE_SYNAPSE=1 it fails instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from tests.matrix.server_fixture import started_server
from tests.matrix.synapse import RegisteredUser, SynapseServer, nio_client

if TYPE_CHECKING:
    import nio

    from tests.matrix.world import World


class UserFactory(Protocol):
    async def __call__(self, localpart_prefix: str = "user", admin: bool = False) -> RegisteredUser:
        """Register a fresh user (localpart = prefix + unique suffix)."""


class ClientFactory(Protocol):
    async def __call__(self, user: RegisteredUser) -> nio.AsyncClient:
        """A nio client logged in as `user`, closed at the end of the test."""


@pytest.fixture
def private_synapse(tmp_path: Path) -> Iterator[SynapseServer]:
    """A Synapse for this test alone, for stop/start/pause scenarios."""
    server = started_server(tmp_path / "synapse")
    yield server
    server.stop()


@pytest.fixture
def matrix_user(synapse: SynapseServer) -> UserFactory:
    """``await matrix_user(prefix="user", admin=False)`` -> RegisteredUser on ``synapse``."""
    return synapse.register


@pytest.fixture
async def matrix_client(tmp_path: Path) -> AsyncIterator[ClientFactory]:
    """``await matrix_client(user)`` -> nio.AsyncClient (E2E store under tmp_path)."""
    pytest.importorskip("nio", reason="matrix-nio is not installed in this venv")
    clients: list[nio.AsyncClient] = []

    async def make(user: RegisteredUser) -> nio.AsyncClient:
        client = await nio_client(user, tmp_path / "nio-store")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


class WorldFactory(Protocol):
    async def __call__(self, server: SynapseServer, **options: Any) -> World: ...


@pytest.fixture
async def worlds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, matrix_client: ClientFactory
) -> AsyncIterator[WorldFactory]:
    """``await worlds(server, **options)``: a running bot with team rooms (see make_world);
    every bot started here is stopped at the end of the test."""
    made: list[World] = []

    async def make(server: SynapseServer, **options: Any) -> World:
        data_dir = tmp_path / f"data-{len(made)}"
        from tests.matrix.world import make_world  # imports the bot: only when used

        world = await make_world(server, data_dir, matrix_client, monkeypatch.setenv, **options)
        made.append(world)
        return world

    yield make
    for world in made:
        await world.bot.stop()


@pytest.fixture
async def world(synapse: SynapseServer, worlds: WorldFactory) -> World:
    """The bot on the shared Synapse, with the haushalt team room."""
    return await worlds(synapse)
