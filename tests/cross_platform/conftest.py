"""Fixtures for one ticket across Matrix and Teams: the Matrix side's (``worlds``, its
``matrix_client``; the session's ``synapse`` comes from tests/conftest.py, so the whole run
shares one homeserver) and the Teams side's (the local Bot Connector ``connector``, and
Microsoft's emulator ``playground`` with ``playground_dir``), taken from their directories.

A test is skipped, with the reason, when Synapse or the playground is not installed, and
fails instead with HOTLINE_REQUIRE_SYNAPSE=1 or HOTLINE_REQUIRE_PLAYGROUND=1.

``database_url`` runs a test on both stores: None (the bot's SQLite file in its data dir),
then the shared PostgreSQL, where every engine the bot builds works in a private schema
(tests/conftest.py postgres_schema), dropped afterwards. Request it BEFORE ``worlds``, so
the bot stops before its schema goes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import app
from storage.engine import make_engine
from tests.conftest import postgres_schema
from tests.matrix.conftest import matrix_client, worlds
from tests.teams.conftest import connector, playground, playground_dir

__all__ = ["connector", "matrix_client", "playground", "playground_dir", "worlds"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    async with postgres_schema() as (url, connect_args):

        def in_schema(url: str, **kwargs: Any) -> Any:
            return make_engine(url, connect_args=connect_args, **kwargs)

        monkeypatch.setattr(app, "make_engine", in_schema)  # build_app's engine
        yield url
