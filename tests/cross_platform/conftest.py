"""Fixtures for one ticket across Matrix and Teams: the Matrix side's (``worlds``, its
``matrix_client``; the session's ``synapse`` comes from tests/conftest.py, so the whole run
shares one homeserver) and the Teams side's (the local Bot Connector ``connector``, and
Microsoft's emulator ``playground`` with ``playground_dir``), taken from their directories.

A test is skipped, with the reason, when Synapse or the playground is not installed, and
fails instead with HOTLINE_REQUIRE_SYNAPSE=1 or HOTLINE_REQUIRE_PLAYGROUND=1.
"""

from __future__ import annotations

from tests.matrix.conftest import matrix_client, worlds
from tests.teams.conftest import connector, playground, playground_dir

__all__ = ["connector", "matrix_client", "playground", "playground_dir", "worlds"]
