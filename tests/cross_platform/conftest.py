"""Fixtures for one ticket across Matrix and Teams: the Matrix side's (``worlds``, its
``matrix_client``; the session's ``synapse`` comes from tests/conftest.py, so the whole run
shares one homeserver) and the Teams side's (the local Bot Connector ``connector``, and
Microsoft's emulator ``playground`` with ``playground_dir``), taken from their directories.

A test is skipped, with the reason, when Synapse or the playground is not installed, and
fails instead with HOTLINE_REQUIRE_SYNAPSE=1 or HOTLINE_REQUIRE_PLAYGROUND=1.

``database_url`` runs a test on both stores: None (the bot's SQLite file in its data dir),
then a fresh PostgreSQL database, dropped afterwards. Request it BEFORE ``worlds``, so the
bot stops before its database goes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.matrix.conftest import matrix_client, worlds
from tests.teams.bot_fixture import postgres_database
from tests.teams.conftest import connector, playground, playground_dir

__all__ = ["connector", "matrix_client", "playground", "playground_dir", "worlds"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    async with postgres_database(enabled=request.param == "postgresql") as url:
        yield url
