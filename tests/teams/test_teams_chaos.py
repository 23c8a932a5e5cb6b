"""Short versions of the chaos runs (python -m tests.chaos), on every CI run: a bot process
killed -9 mid-load, and its database stopped mid-load. Whatever the moment, no turn may be
lost or handled twice (an answer re-posted after a kill is counted, not failed: see
tests/chaos/teams_chaos.py)."""

from __future__ import annotations

from pathlib import Path

from tests.chaos.teams_chaos import database_away, killing, run
from tests.private_postgres import PrivatePostgres, fresh_database


async def test_a_bot_killed_mid_load_loses_no_turn_and_handles_none_twice(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
    figures = await run(url, "sqlite", 40, killing(1, seed=14))
    assert (figures.lost, figures.doubled) == ([], []), figures.line()


async def test_a_database_stopped_mid_load_loses_no_turn(private_pg: PrivatePostgres) -> None:
    url = await fresh_database(private_pg)
    chaos = database_away(private_pg.stop, private_pg.start, seconds=2.0)
    figures = await run(url, "postgres", 40, chaos)
    assert (figures.lost, figures.doubled, figures.resent) == ([], [], []), figures.line()
