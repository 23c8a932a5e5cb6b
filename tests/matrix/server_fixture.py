"""The session's Synapse, as a fixture the root conftest imports (tests/conftest.py).

Defined here rather than in tests/matrix/conftest.py so that every directory that needs a
homeserver (tests/matrix, tests/cross_platform) shares ONE server per session: a fixture
imported into two conftest files would be two fixtures, and start two servers.
Without Synapse (tests/install-synapse not run or failed) a test that uses it is skipped
with the reason; with HOTLINE_REQUIRE_SYNAPSE=1 it fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.matrix.synapse import (
    SynapseServer,
    SynapseStartError,
    find_synapse_venv,
    synapse_missing_reason,
)

REQUIRE_ENV = "HOTLINE_REQUIRE_SYNAPSE"


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it where Synapse is required."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


def started_server(workdir: Path) -> SynapseServer:
    """A running Synapse in `workdir`, or the skip (failure) saying why there is none."""
    venv = find_synapse_venv()
    missing = synapse_missing_reason(venv)
    if missing:
        unavailable(missing)
    server = SynapseServer(venv)
    try:
        server.start(workdir)
    except SynapseStartError as error:
        unavailable(f"Synapse failed to start: {error}")
    return server


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    """The session's Synapse; a sync fixture, so it needs no session-scoped event loop."""
    server = started_server(tmp_path_factory.mktemp("synapse"))
    yield server
    server.stop()
